/**
 * Bytes a repetition allocates, from V8's GC statistics: `v8.GCProfiler` records the heap's
 * used size before and after every collection, so what was allocated between two collections is
 * "used before this one − used after the previous one". Summed over a repetition (with the used
 * size at its start and end closing the sums) that is every byte put on the V8 heap, collected
 * or not. Not counted: memory outside the V8 heap (Buffers, ArrayBuffer backing stores, SQLite's
 * own allocations), and objects V8's optimising compiler never allocated (escape analysis).
 */
import v8 from "node:v8";
import type { RunOnce } from "./systems/types.js";

function usedHeap(): number {
  return v8.getHeapStatistics().used_heap_size;
}

interface GcStat {
  readonly beforeGC: { readonly heapStatistics: { readonly usedHeapSize: number } };
  readonly afterGC: { readonly heapStatistics: { readonly usedHeapSize: number } };
}

/** Runs `once` and returns the bytes it allocated on the V8 heap and the collections it caused. */
export async function allocatedBy(once: RunOnce): Promise<{ bytes: number; gcs: number }> {
  const profiler = new v8.GCProfiler();
  const start = usedHeap();
  profiler.start();
  await once();
  const stats = (profiler.stop()?.statistics ?? []) as readonly GcStat[];
  const end = usedHeap();
  let bytes = 0;
  let after = start;
  for (const gc of stats) {
    bytes += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - after);
    after = gc.afterGC.heapStatistics.usedHeapSize;
  }
  bytes += Math.max(0, end - after);
  return { bytes, gcs: stats.length };
}
