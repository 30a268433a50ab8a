import { allocatedBy } from "./allocation.js";
import { type AllocationProfile, sampleAllocations } from "./heap-sampling.js";
import type { Plan, Scenario } from "./scenarios.js";
import type { BenchSystem, RunOnce } from "./systems/types.js";

/** What a child measures besides time (see `allocation.ts` and `heap-sampling.ts`). */
export interface MeasureOptions {
  /** After the timed repetitions, one more under V8's GC statistics: bytes allocated per unit. */
  readonly allocations?: boolean;
  /** After that, `times` repetitions under the sampling heap profiler, written to `file`. */
  readonly heapProfile?: {
    readonly interval: number;
    readonly times: number;
    readonly file: string;
    readonly root: string;
  };
}

/** What one (system, scenario) child measured. */
export interface Measurement {
  /** Per-unit values of each timed repetition (µs per hop/event/run, or KB retained). */
  readonly samples: number[];
  readonly median: number;
  /** Warm-up runs done (at least the plan's `warmups`; more while its `warmupMs` lasted). */
  readonly warmups: number;
  /** Wall time of the warm-up, in milliseconds. */
  readonly warmupMs: number;
  /** Wall time of the whole measurement, warm-up included, in milliseconds. */
  readonly wallMs: number;
  /**
   * Each timed repetition's start and end on the monotonic clock (µs, the clock V8's profiler
   * uses), so a profile can leave out start-up, warm-up and the pauses between repetitions.
   */
  readonly timedWindowsUs: readonly (readonly [number, number])[];
  /** Bytes allocated on the V8 heap per hop/event/run, from one untimed repetition. */
  readonly bytesPerUnit?: number;
  /** Garbage collections during that repetition. */
  readonly gcsPerRepetition?: number;
  /** Where a sampled heap-allocation profile says the bytes were allocated. */
  readonly allocationProfile?: AllocationProfile;
}

function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

const gc: () => void =
  (globalThis as { gc?: () => void }).gc ??
  (() => {
    throw new Error("run the bench child with --expose-gc: heap figures need a forced GC");
  });

/** Lets timers and callbacks that a finished run scheduled fire, so they are not counted. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 10));
}

async function fullGc(): Promise<void> {
  await settle();
  gc();
  gc();
}

/** The middle value (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Returns a builder of "one repetition of `size`" for a scenario: a run of size n, or n runs.
 * Chains and fan-outs get a new instance per size (the adapters build it for one n); the runs
 * rows share one tiny-run instance between all sizes.
 */
async function repetitionsOf(
  system: BenchSystem,
  scenario: Scenario,
): Promise<(size: number) => Promise<RunOnce>> {
  let make: ((n: number) => Promise<RunOnce>) | undefined;
  if (scenario.variant) {
    make = system.variants?.[scenario.variant];
    if (!make) throw new Error(`${system.id} has no variant \`${scenario.variant}\``);
  }
  switch (scenario.kind) {
    case "chain":
      return (size) => (make ?? system.chain)(size);
    case "fanOut":
      return (size) => (make ?? system.fanOut)(size);
    case "seqRuns":
    case "heap": {
      const run = await (make ?? (() => system.tinyRun()))(0);
      return async (size) => async () => {
        for (let i = 0; i < size; i++) await run();
      };
    }
    case "concRuns": {
      const run = await (make ?? (() => system.tinyRun()))(0);
      return async (size) => async () => {
        const pending: Promise<void>[] = [];
        for (let i = 0; i < size; i++) pending.push(run());
        await Promise.all(pending);
      };
    }
  }
}

type Windows = [number, number][];

async function timeOnce(once: RunOnce, windows: Windows, forceGc: boolean): Promise<number> {
  // Steady and cold conditions: no forced GC. After V8's forced full GC the next short run is
  // 2-4x slower (the young generation is shrunk and regrows); a run's garbage is part of its
  // cost, and letting pending timers fire is enough. The forced-GC condition does exactly that
  // on purpose, as other harnesses do: an engine that allocates much pays for it there.
  await settle();
  if (forceGc) gc();
  const from = monotonicUs();
  const t0 = performance.now();
  await once();
  const ms = performance.now() - t0;
  windows.push([from, monotonicUs()]);
  return ms;
}

async function heapOnce(once: RunOnce, windows: Windows): Promise<number> {
  await fullGc();
  const before = process.memoryUsage().heapUsed;
  const from = monotonicUs();
  await once();
  windows.push([from, monotonicUs()]);
  await fullGc();
  return (process.memoryUsage().heapUsed - before) / 1024;
}

/** Warms up, then repeats the scenario per its plan, and returns per-unit samples. */
export async function measure(
  system: BenchSystem,
  scenario: Scenario,
  options: MeasureOptions = {},
): Promise<Measurement> {
  const plan: Plan = scenario.plan;
  const start = performance.now();
  const repetition = await repetitionsOf(system, scenario);
  const warmupN = Math.min(plan.warmupN, scenario.n);
  const warm = await repetition(warmupN);
  // The same rule for every system: a count, then a time budget (0 outside the steady rows).
  const warmingSince = performance.now();
  let warmups = 0;
  while (warmups < plan.warmups || performance.now() - warmingSince < plan.warmupMs) {
    await warm();
    warmups++;
  }
  const warmupMs = performance.now() - warmingSince;
  // Steady rows time the instance they warmed up wherever they can: when a new stepwise
  // workflow instance came in after the warm-ups, V8 deoptimised about a dozen engine functions
  // specialised to the old one, and the first timed repetition ran 2-6x slower than the next.
  let timed: RunOnce;
  if (!plan.warmupOnTimed) timed = await (await repetitionsOf(system, scenario))(scenario.n);
  else if (warmupN === scenario.n) timed = warm;
  else timed = await repetition(scenario.n);
  const samples: number[] = [];
  const windows: Windows = [];
  const measuringSince = performance.now();
  while (
    samples.length < plan.maxRepeats &&
    (samples.length < plan.minRepeats || performance.now() - measuringSince < plan.budgetMs)
  ) {
    if (scenario.kind === "heap") samples.push(await heapOnce(timed, windows));
    else {
      const ms = await timeOnce(timed, windows, scenario.condition === "forcedGc");
      samples.push((ms * 1000) / scenario.n);
    }
  }
  const wallMs = performance.now() - start;
  let allocation: Pick<Measurement, "bytesPerUnit" | "gcsPerRepetition"> = {};
  if (options.allocations && scenario.kind !== "heap") {
    await settle();
    const { bytes, gcs } = await allocatedBy(timed);
    allocation = { bytesPerUnit: bytes / scenario.n, gcsPerRepetition: gcs };
  }
  let allocationProfile: AllocationProfile | undefined;
  if (options.heapProfile) {
    await settle();
    allocationProfile = await sampleAllocations(
      timed,
      options.heapProfile.times,
      options.heapProfile,
    );
  }
  return {
    samples,
    median: median(samples),
    warmups,
    warmupMs,
    wallMs,
    timedWindowsUs: windows,
    ...allocation,
    ...(allocationProfile ? { allocationProfile } : {}),
  };
}
