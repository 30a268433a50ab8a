/** What one scenario measures; every system runs the same scenarios. */
export interface Scenario {
  /** Stable id, used in results JSON and on the command line (`chain-10k`). */
  readonly id: string;
  /** Row label in the table. */
  readonly label: string;
  readonly kind: "chain" | "fanOut" | "seqRuns" | "concRuns" | "heap";
  /** Hops, events or runs per repetition. */
  readonly n: number;
  readonly unit: "µs/hop" | "µs/event" | "µs/run" | "KB";
  /**
   * `steady`: warmed up on a time budget (see `Plan.warmupMs`), then repetitions back to
   * back, no GC forced. `forcedGc`: one warm-up, five repetitions, a full `gc()` before each
   * (the way another harness measures): the young generation starts small every time, so what a
   * run allocates shows in its time. `cold` (diagnostic, opt-in): the `forcedGc` protocol
   * without the `gc()` calls, so that the JIT's tier-up can be told apart from the GC's cost.
   */
  readonly condition: Condition;
  /** For a `forcedGc` or `cold` row, the id of the steady row it mirrors. */
  readonly steadyId?: string;
  /** A system variant that does this row's work instead of the plain method (stepwise rows). */
  readonly variant?: string;
  /**
   * For a stepwise-only row that does another row's work in another idiom (the typed fan-out):
   * that row's id, whose targets it is held to beside the peers' figures on it.
   */
  readonly doesWorkOf?: string;
  /** Systems that run this scenario (default: all). */
  readonly only?: readonly string[];
  readonly plan: Plan;
}

/** How a scenario is repeated; see `measure.ts` for how the numbers are used. */
export interface Plan {
  /**
   * Untimed runs before measuring, at `warmupN` (hops/events/runs per warm-up run): at least
   * `warmups`, then more until `warmupMs` of warm-up (milliseconds) has been spent. The steady
   * rows warm up on a time budget because the JIT's tier-up is a matter of work done, and a few
   * warm-ups at 1,000 leave stepwise still being optimised through its timed repetitions.
   */
  readonly warmups: number;
  readonly warmupN: number;
  readonly warmupMs: number;
  /**
   * Warm up on the very workflow (graph, handler) instance that is then timed, where the warm-up
   * size is the timed size (and always for the runs rows, whose instance has no size). The
   * forced-GC and cold rows keep the protocol they were first measured with: warm-ups on an
   * instance of their own.
   */
  readonly warmupOnTimed: boolean;
  /** Timed repetitions: at least `minRepeats`, then more until `maxRepeats` or `budgetMs`. */
  readonly minRepeats: number;
  readonly maxRepeats: number;
  readonly budgetMs: number;
  /** The child process is killed (and the cell marked "timed out") after this long. */
  readonly killAfterMs: number;
}

/** Benchmark mode: `full` for `npm run bench`, `quick` for `npm run bench -- --quick`. */
export type Mode = "full" | "quick";

/** How repetitions are run: see `Scenario.condition`. */
export type Condition = "steady" | "forcedGc" | "cold";

/** Every condition, in table order. */
export const conditions: readonly Condition[] = ["steady", "forcedGc", "cold"];

/** The conditions of a run that names none: `cold` is a diagnostic, run only when asked for. */
export const defaultConditions: readonly Condition[] = ["steady", "forcedGc"];

function plan(p: Partial<Plan> & Pick<Plan, "warmupN" | "warmupMs">): Plan {
  return {
    warmups: 3,
    warmupOnTimed: true,
    minRepeats: 3,
    maxRepeats: 21,
    budgetMs: 5_000,
    killAfterMs: 240_000,
    ...p,
  };
}

const stepwiseOnly = ["stepwise"];

/**
 * The scenarios of a mode, in table order: the steady rows, then their forced-GC twins, then
 * their cold twins.
 */
export function scenariosFor(
  mode: Mode,
  wanted: readonly Condition[] = defaultConditions,
): Scenario[] {
  const steady = mode === "quick" ? quickScenarios() : fullScenarios();
  return [
    ...(wanted.includes("steady") ? steady : []),
    ...(wanted.includes("forcedGc")
      ? steady.flatMap((s) => fiveRepetitionTwin(s, mode, "forcedGc"))
      : []),
    ...(wanted.includes("cold") ? steady.flatMap((s) => fiveRepetitionTwin(s, mode, "cold")) : []),
  ];
}

/**
 * The forced-GC row of a steady one (`chain-1k` → `chain-1k-gc`): one warm-up, five timed
 * repetitions with `gc()` before each. Its cold row (`chain-1k-cold`) is the same protocol
 * without the `gc()` calls. A 10,000 row keeps its time budget, so a peer that needs a minute
 * per run is measured at least once rather than killed. Heap rows force GC already.
 */
function fiveRepetitionTwin(
  steady: Scenario,
  mode: Mode,
  condition: "forcedGc" | "cold",
): Scenario[] {
  if (steady.kind === "heap") return [];
  const large = mode === "full" && steady.n >= 10_000;
  const suffix = condition === "forcedGc" ? "gc" : "cold";
  return [
    {
      ...steady,
      id: `${steady.id}-${suffix}`,
      label: `${steady.label}, ${condition === "forcedGc" ? "forced GC" : "cold (no gc())"}`,
      condition,
      steadyId: steady.id,
      ...(steady.doesWorkOf ? { doesWorkOf: `${steady.doesWorkOf}-${suffix}` } : {}),
      plan: {
        ...steady.plan,
        warmups: 1,
        warmupMs: 0,
        warmupOnTimed: false,
        minRepeats: large ? 1 : 5,
        maxRepeats: 5,
        budgetMs: large ? steady.plan.budgetMs : 0,
      },
    },
  ];
}

/**
 * Warm-up time of a steady row in full mode: at least 3 warm-ups and this much. After 3 warm-ups
 * of 1,000 hops, stepwise's chain still got faster through 15 timed runs of 10,000 (3.97 down to
 * 0.9 µs/hop; median 1.23), while a process warmed for about 300,000 hops ran at 0.93: the JIT
 * was still tiering up. 2 s is over 1,000,000 hops of stepwise on this machine. A peer whose 3
 * warm-ups take longer than this spends no more time than before.
 */
const warmupMs = 2_000;

function fullScenarios(): Scenario[] {
  const small = plan({ warmupN: 1_000, warmupMs });
  // At 10,000 the peers take seconds to a minute and a half per run: one timed run is enough,
  // more while the 12 s budget lasts. Warm-up happens at 1,000 so that it stays cheap.
  const large = plan({
    warmupN: 1_000,
    warmupMs,
    minRepeats: 1,
    maxRepeats: 15,
    budgetMs: 12_000,
  });
  const runs = plan({ warmupN: 500, warmupMs, maxRepeats: 15 });
  // Heap rows measure what stays retained, not time: one warm-up fills the caches.
  const heap = plan({
    warmups: 1,
    warmupN: 1_000,
    warmupMs: 0,
    minRepeats: 1,
    maxRepeats: 3,
    budgetMs: 12_000,
  });
  return [
    row("chain-1k", "chain, 1,000 hops", "chain", 1_000, small),
    row("chain-10k", "chain, 10,000 hops", "chain", 10_000, large),
    row("fanout-1k", "fan-out, 1,000 events", "fanOut", 1_000, small),
    row("fanout-10k", "fan-out, 10,000 events", "fanOut", 10_000, large),
    row("runs-seq-2k", "2,000 sequential tiny runs", "seqRuns", 2_000, runs),
    row("runs-conc-1k", "1,000 concurrent runs", "concRuns", 1_000, runs),
    row("heap-10k", "heap retained after 10,000 runs", "heap", 10_000, heap),
    // stepwise only: the typed fan-out (the peers' gather-once shape), collectEvents given a new
    // list on every call (Python's `[E] * n` idiom), the fan-in without collectEvents, and the
    // cost of trace recording.
    typedFanOutRow(1_000, small),
    typedFanOutRow(10_000, large),
    variantRow(
      "fanout-10k-per-call",
      "stepwise: fan-out 10,000, list built per call",
      "fanOut",
      10_000,
      large,
      "fanOutPerCall",
    ),
    variantRow(
      "fanout-1k-counter",
      "stepwise: fan-out 1,000, counter fan-in",
      "fanOut",
      1_000,
      small,
      "fanOutCounter",
    ),
    variantRow(
      "fanout-10k-counter",
      "stepwise: fan-out 10,000, counter fan-in",
      "fanOut",
      10_000,
      large,
      "fanOutCounter",
    ),
    variantRow(
      "chain-10k-notrace",
      "stepwise: chain 10,000, trace off",
      "chain",
      10_000,
      large,
      "chainNoTrace",
    ),
    variantRow(
      "fanout-10k-counter-notrace",
      "stepwise: fan-out 10,000, counter, trace off",
      "fanOut",
      10_000,
      large,
      "fanOutCounterNoTrace",
    ),
    variantRow(
      "runs-seq-2k-notrace",
      "stepwise: 2,000 tiny runs, trace off",
      "seqRuns",
      2_000,
      runs,
      "tinyRunNoTrace",
    ),
    variantRow(
      "heap-10k-notrace",
      "stepwise: heap after 10,000 runs, trace off",
      "heap",
      10_000,
      heap,
      "tinyRunNoTrace",
    ),
  ];
}

function quickScenarios(): Scenario[] {
  const quick = (warmupN: number): Plan =>
    plan({
      warmups: 2,
      warmupN,
      warmupMs: 500,
      minRepeats: 1,
      maxRepeats: 5,
      budgetMs: 1_000,
      killAfterMs: 20_000,
    });
  return [
    row("chain-1k", "chain, 1,000 hops", "chain", 1_000, quick(1_000)),
    row("fanout-1k", "fan-out, 1,000 events", "fanOut", 1_000, quick(1_000)),
    row("runs-seq-500", "500 sequential tiny runs", "seqRuns", 500, quick(200)),
    row("runs-conc-1k", "1,000 concurrent runs", "concRuns", 1_000, quick(200)),
    row("heap-2k", "heap retained after 2,000 runs", "heap", 2_000, { ...quick(200), warmupMs: 0 }),
    typedFanOutRow(1_000, quick(1_000)),
    variantRow(
      "fanout-1k-counter",
      "stepwise: fan-out 1,000, counter fan-in",
      "fanOut",
      1_000,
      quick(1_000),
      "fanOutCounter",
    ),
    variantRow(
      "chain-1k-notrace",
      "stepwise: chain 1,000, trace off",
      "chain",
      1_000,
      quick(1_000),
      "chainNoTrace",
    ),
    variantRow(
      "runs-seq-500-notrace",
      "stepwise: 500 tiny runs, trace off",
      "seqRuns",
      500,
      quick(200),
      "tinyRunNoTrace",
    ),
  ];
}

const units = {
  chain: "µs/hop",
  fanOut: "µs/event",
  seqRuns: "µs/run",
  concRuns: "µs/run",
  heap: "KB",
} as const;

function row(id: string, label: string, kind: Scenario["kind"], n: number, p: Plan): Scenario {
  return { id, label, kind, n, unit: units[kind], condition: "steady", plan: p };
}

/** The fan-out row of `n` events (`fanout-1k`, ...) done with stepwise's typed fan-out. */
function typedFanOutRow(n: number, p: Plan): Scenario {
  const fanOut = `fanout-${n / 1_000}k`;
  return {
    ...variantRow(
      `${fanOut}-typed`,
      `stepwise: fan-out ${n.toLocaleString("en-US")}, typed (fanOut/collect)`,
      "fanOut",
      n,
      p,
      "fanOutTyped",
    ),
    doesWorkOf: fanOut,
  };
}

function variantRow(
  id: string,
  label: string,
  kind: Scenario["kind"],
  n: number,
  p: Plan,
  variant: string,
): Scenario {
  return { ...row(id, label, kind, n, p), variant, only: stepwiseOnly };
}
