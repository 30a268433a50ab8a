/** What one scenario measures; every system runs the same scenarios. */
export interface Scenario {
  /** Stable id, used in results JSON and on the command line (`chain-10k`). */
  readonly id: string;
  /** Row label in the table. */
  readonly label: string;
  readonly kind: "chain" | "fanOut" | "seqRuns" | "concRuns" | "heap" | "variant";
  /** Hops, events or runs per repetition. */
  readonly n: number;
  readonly unit: "µs/hop" | "µs/event" | "µs/run" | "KB";
  /** For `variant` rows: the stepwise variant id and the kind of work it does. */
  readonly variant?: { readonly id: string; readonly of: "chain" | "fanOut" };
  /** Systems that run this scenario (default: all). */
  readonly only?: readonly string[];
  readonly plan: Plan;
}

/** How a scenario is repeated; see `measure.ts` for how the numbers are used. */
export interface Plan {
  /** Untimed runs before measuring, at `warmupN` (hops/events/runs per warm-up run). */
  readonly warmups: number;
  readonly warmupN: number;
  /** Timed repetitions: at least `minRepeats`, then more until `maxRepeats` or `budgetMs`. */
  readonly minRepeats: number;
  readonly maxRepeats: number;
  readonly budgetMs: number;
  /** The child process is killed (and the cell marked "timed out") after this long. */
  readonly killAfterMs: number;
}

/** Benchmark mode: `full` for `npm run bench`, `quick` for `npm run bench -- --quick`. */
export type Mode = "full" | "quick";

function plan(p: Partial<Plan> & Pick<Plan, "warmupN">): Plan {
  return { warmups: 3, minRepeats: 3, maxRepeats: 21, budgetMs: 5_000, killAfterMs: 240_000, ...p };
}

/** The scenarios of a mode, in table order. */
export function scenariosFor(mode: Mode): Scenario[] {
  if (mode === "quick") {
    const quick = (warmupN: number): Plan =>
      plan({
        warmups: 2,
        warmupN,
        minRepeats: 1,
        maxRepeats: 5,
        budgetMs: 1_000,
        killAfterMs: 20_000,
      });
    return [
      {
        id: "chain-1k",
        label: "chain, 1,000 hops",
        kind: "chain",
        n: 1_000,
        unit: "µs/hop",
        plan: quick(1_000),
      },
      {
        id: "fanout-1k",
        label: "fan-out, 1,000 events",
        kind: "fanOut",
        n: 1_000,
        unit: "µs/event",
        plan: quick(1_000),
      },
      {
        id: "runs-seq-500",
        label: "500 sequential tiny runs",
        kind: "seqRuns",
        n: 500,
        unit: "µs/run",
        plan: quick(200),
      },
      {
        id: "runs-conc-1k",
        label: "1,000 concurrent runs",
        kind: "concRuns",
        n: 1_000,
        unit: "µs/run",
        plan: quick(200),
      },
      {
        id: "heap-2k",
        label: "heap retained after 2,000 runs",
        kind: "heap",
        n: 2_000,
        unit: "KB",
        plan: quick(200),
      },
      {
        id: "fanout-1k-counter",
        label: "fan-out 1,000, counter fan-in (stepwise only)",
        kind: "variant",
        variant: { id: "fanOutCounter", of: "fanOut" },
        only: ["stepwise"],
        n: 1_000,
        unit: "µs/event",
        plan: quick(1_000),
      },
    ];
  }
  const small = plan({ warmupN: 1_000, budgetMs: 5_000 });
  // At 10,000 the peers take seconds to a minute and a half per run: one timed run is allowed,
  // more while the 12 s budget lasts. Warm-up happens at 1,000 so it stays cheap.
  const large = plan({
    warmups: 3,
    warmupN: 1_000,
    minRepeats: 1,
    maxRepeats: 15,
    budgetMs: 12_000,
  });
  return [
    {
      id: "chain-1k",
      label: "chain, 1,000 hops",
      kind: "chain",
      n: 1_000,
      unit: "µs/hop",
      plan: small,
    },
    {
      id: "chain-10k",
      label: "chain, 10,000 hops",
      kind: "chain",
      n: 10_000,
      unit: "µs/hop",
      plan: large,
    },
    {
      id: "fanout-1k",
      label: "fan-out, 1,000 events",
      kind: "fanOut",
      n: 1_000,
      unit: "µs/event",
      plan: small,
    },
    {
      id: "fanout-10k",
      label: "fan-out, 10,000 events",
      kind: "fanOut",
      n: 10_000,
      unit: "µs/event",
      plan: large,
    },
    {
      id: "runs-seq-2k",
      label: "2,000 sequential tiny runs",
      kind: "seqRuns",
      n: 2_000,
      unit: "µs/run",
      plan: plan({ warmupN: 500, minRepeats: 3, maxRepeats: 15 }),
    },
    {
      id: "runs-conc-1k",
      label: "1,000 concurrent runs",
      kind: "concRuns",
      n: 1_000,
      unit: "µs/run",
      plan: plan({ warmupN: 500, minRepeats: 3, maxRepeats: 15 }),
    },
    {
      id: "heap-10k",
      label: "heap retained after 10,000 runs",
      kind: "heap",
      n: 10_000,
      unit: "KB",
      plan: plan({ warmups: 1, warmupN: 1_000, minRepeats: 1, maxRepeats: 3, budgetMs: 12_000 }),
    },
    {
      id: "fanout-1k-counter",
      label: "fan-out 1,000, counter fan-in (stepwise only)",
      kind: "variant",
      variant: { id: "fanOutCounter", of: "fanOut" },
      only: ["stepwise"],
      n: 1_000,
      unit: "µs/event",
      plan: small,
    },
    {
      id: "fanout-10k-counter",
      label: "fan-out 10,000, counter fan-in (stepwise only)",
      kind: "variant",
      variant: { id: "fanOutCounter", of: "fanOut" },
      only: ["stepwise"],
      n: 10_000,
      unit: "µs/event",
      plan: large,
    },
  ];
}
