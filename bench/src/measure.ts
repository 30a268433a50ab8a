import type { Plan, Scenario } from "./scenarios.js";
import type { BenchSystem, RunOnce } from "./systems/types.js";

/** What one (system, scenario) child measured. */
export interface Measurement {
  /** Per-unit values of each timed repetition (µs per hop/event/run, or KB retained). */
  readonly samples: number[];
  readonly median: number;
  readonly warmups: number;
  /** Wall time of the whole measurement, warm-up included, in milliseconds. */
  readonly wallMs: number;
  /**
   * Each timed repetition's start and end on the monotonic clock (µs, the clock V8's profiler
   * uses), so a profile can leave out start-up, warm-up and the pauses between repetitions.
   */
  readonly timedWindowsUs: readonly (readonly [number, number])[];
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

/** Builds "one repetition of `size`" for a scenario: a run of size n, or n runs. */
async function repetitionOf(
  system: BenchSystem,
  scenario: Scenario,
  size: number,
): Promise<() => Promise<void>> {
  let make: ((n: number) => Promise<RunOnce>) | undefined;
  if (scenario.variant) {
    make = system.variants?.[scenario.variant];
    if (!make) throw new Error(`${system.id} has no variant \`${scenario.variant}\``);
  }
  switch (scenario.kind) {
    case "chain":
      return (make ?? system.chain)(size);
    case "fanOut":
      return (make ?? system.fanOut)(size);
    case "seqRuns":
    case "heap": {
      const run = await (make ?? (() => system.tinyRun()))(0);
      return async () => {
        for (let i = 0; i < size; i++) await run();
      };
    }
    case "concRuns": {
      const run = await (make ?? (() => system.tinyRun()))(0);
      return async () => {
        const pending: Promise<void>[] = [];
        for (let i = 0; i < size; i++) pending.push(run());
        await Promise.all(pending);
      };
    }
  }
}

type Windows = [number, number][];

async function timeOnce(once: RunOnce, windows: Windows): Promise<number> {
  // No forced GC here: after V8's forced full GC the next short run is 2-4x slower (the young
  // generation is shrunk and regrows), which would penalise small rows. A run's garbage is part
  // of its cost; letting pending timers fire is enough.
  await settle();
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
export async function measure(system: BenchSystem, scenario: Scenario): Promise<Measurement> {
  const plan: Plan = scenario.plan;
  const start = performance.now();
  const warm = await repetitionOf(system, scenario, Math.min(plan.warmupN, scenario.n));
  for (let i = 0; i < plan.warmups; i++) await warm();
  const timed = await repetitionOf(system, scenario, scenario.n);
  const samples: number[] = [];
  const windows: Windows = [];
  const measuringSince = performance.now();
  while (
    samples.length < plan.maxRepeats &&
    (samples.length < plan.minRepeats || performance.now() - measuringSince < plan.budgetMs)
  ) {
    if (scenario.kind === "heap") samples.push(await heapOnce(timed, windows));
    else samples.push(((await timeOnce(timed, windows)) * 1000) / scenario.n);
  }
  return {
    samples,
    median: median(samples),
    warmups: plan.warmups,
    wallMs: performance.now() - start,
    timedWindowsUs: windows,
  };
}
