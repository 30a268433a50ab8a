/**
 * One workflow system under test. Each method builds what its scenario needs (workflow
 * definitions, compiled graphs) outside the timed region and returns a function that performs
 * one timed unit of work and checks that the work really happened.
 */
export interface BenchSystem {
  /** Short id used on the command line and in results (`stepwise`, `langgraph`, ...). */
  readonly id: string;
  /** Human label for the table header, with the version measured. */
  readonly label: string;
  /** A run in which one step re-emits a counter event until it reaches `n` (n hops). */
  chain(n: number): Promise<RunOnce>;
  /** A run that fans `n` events out to a worker step and fans the results back in. */
  fanOut(n: number): Promise<RunOnce>;
  /** The smallest run: a start event handled by one step that stops the run. */
  tinyRun(): Promise<RunOnce>;
  /**
   * Extra variants (stepwise: counter fan-in, trace recording off), keyed by variant id. Each
   * stands in for `chain`/`fanOut` (called with n) or for `tinyRun` (n is ignored), as the
   * scenario using it says.
   */
  readonly variants?: Readonly<Record<string, (n: number) => Promise<RunOnce>>>;
}

/** Performs one unit of work (one run); rejects if the result is not what the scenario expects. */
export type RunOnce = () => Promise<void>;

/** Throws when a run's result is not the expected value, so that no system can skip work. */
export function expectEqual(
  system: string,
  what: string,
  actual: unknown,
  expected: unknown,
): void {
  if (actual !== expected) {
    throw new Error(
      `${system}: ${what} returned ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}; ` +
        "the scenario did not do the work it claims",
    );
  }
}
