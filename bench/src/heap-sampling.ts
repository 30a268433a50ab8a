/**
 * A heap-allocation sampling profile of some repetitions, through the inspector's
 * `HeapProfiler.startSampling` with collected objects kept in the profile
 * (`includeObjectsCollectedByMajorGC/MinorGC`): every allocation has a 1-in-`interval`-bytes
 * chance of being sampled with its stack, so the profile shows what allocates, garbage included,
 * not only what survives. The `.heapprofile` it writes opens in Chrome DevTools (Memory tab).
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import type { RunOnce } from "./systems/types.js";

interface ProfileNode {
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
    readonly columnNumber: number;
  };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

/** One place that allocates: a function (with its file and line) and its sampled bytes. */
export interface AllocationSite {
  readonly name: string;
  readonly location: string;
  readonly bytes: number;
  readonly share: number;
}

/** The allocation sites of a profile, most bytes first, and the same by file. */
export interface AllocationProfile {
  readonly totalBytes: number;
  readonly sites: readonly AllocationSite[];
  readonly files: readonly AllocationSite[];
}

function shorten(url: string, root: string): string {
  const path = url.replace(/^file:\/\//, "");
  if (path === "") return "(native)";
  return path.startsWith(root) ? path.slice(root.length + 1) : path;
}

/** Sums a sampling profile's self sizes by function and by file. */
export function summarizeAllocations(head: ProfileNode, root: string): AllocationProfile {
  const bySite = new Map<string, { name: string; location: string; bytes: number }>();
  const byFile = new Map<string, number>();
  let total = 0;
  const stack: ProfileNode[] = [head];
  while (stack.length > 0) {
    const node = stack.pop() as ProfileNode;
    stack.push(...node.children);
    if (node.selfSize === 0) continue;
    total += node.selfSize;
    const frame = node.callFrame;
    const file = shorten(frame.url, root);
    const location = frame.url ? `${file}:${frame.lineNumber + 1}` : file;
    const name = frame.functionName || "(anonymous)";
    const key = `${name} ${location}`;
    const site = bySite.get(key) ?? { name, location, bytes: 0 };
    site.bytes += node.selfSize;
    bySite.set(key, site);
    byFile.set(file, (byFile.get(file) ?? 0) + node.selfSize);
  }
  const share = (bytes: number) => (total > 0 ? bytes / total : 0);
  return {
    totalBytes: total,
    sites: [...bySite.values()]
      .sort((a, b) => b.bytes - a.bytes)
      .map((s) => ({ ...s, share: share(s.bytes) })),
    files: [...byFile.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, bytes]) => ({ name, location: "", bytes, share: share(bytes) })),
  };
}

/** Runs `once` `times` times under the sampling heap profiler; writes the profile to `file`. */
export async function sampleAllocations(
  once: RunOnce,
  times: number,
  options: { readonly interval: number; readonly file: string; readonly root: string },
): Promise<AllocationProfile> {
  const session = new Session();
  session.connect();
  try {
    await session.post("HeapProfiler.enable");
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: options.interval,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    for (let i = 0; i < times; i++) await once();
    const { profile } = (await session.post("HeapProfiler.stopSampling")) as {
      profile: { head: ProfileNode };
    };
    writeFileSync(options.file, JSON.stringify(profile));
    return summarizeAllocations(profile.head, options.root);
  } finally {
    session.disconnect();
  }
}
