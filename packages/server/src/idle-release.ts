/**
 * Idle runs cost nothing: a run that has waited idle (for a human's answer, say) longer than
 * the server's `idleTimeout`, with no stream and no `/run` request waiting on it, is released
 * from memory by its runtime, which keeps everything it did in its journal. A request that needs
 * the run (an event sent to it, a stream of it, a cancel) rebuilds it from there, with its whole
 * log; so does its next timer (its timeout, a `waitForEvent` timeout) falling due.
 */
import type { Clock, Runtime, Workflow, WorkflowHandler } from "@stepwise/core";

/** A runtime that can release idle runs and resume them (`@stepwise/sqlite`'s `SqliteRuntime`). */
export interface ReleasingRuntime extends Runtime {
  readonly clock: Clock;
  /**
   * Releases the run if it waits idle. @returns null when it is not here or not idle; else when
   * its next timer falls due (the clock's milliseconds), or null for none.
   */
  releaseIdleRun(runId: string): { readonly wakeAt: number | null } | null;
  /** Rebuilds a released run from its journal; null when there is no such unfinished run. */
  resumeRun(
    workflow: Workflow,
    runId: string,
  ): Promise<{ readonly handler: WorkflowHandler } | null>;
}

/** Whether `runtime` can release idle runs. */
export function isReleasingRuntime(runtime: Runtime | undefined): runtime is ReleasingRuntime {
  const candidate = runtime as Partial<ReleasingRuntime> | undefined;
  return (
    typeof candidate?.releaseIdleRun === "function" &&
    typeof candidate.resumeRun === "function" &&
    typeof candidate.clock?.setTimeout === "function"
  );
}

/** How a server releases idle runs. */
export interface IdleRelease {
  readonly runtime: ReleasingRuntime;
  /** How long a run waits idle before it is released, in milliseconds. */
  readonly timeoutMs: number;
}

/** A timer on the runtime's clock that does not keep the process alive. */
export function setTimer(clock: Clock, fn: () => void, ms: number): unknown {
  const handle = clock.setTimeout(fn, Math.max(0, ms));
  (handle as { unref?: () => void } | null)?.unref?.();
  return handle;
}

/**
 * The `idleTimeout` option, checked: seconds > 0, on a runtime that can release runs.
 * @throws `TypeError` otherwise.
 */
export function idleReleaseOf(
  seconds: number | undefined,
  runtime: Runtime | undefined,
): IdleRelease | null {
  if (seconds === undefined) return null;
  if (typeof seconds !== "number" || !(seconds > 0) || !Number.isFinite(seconds)) {
    throw new TypeError(
      `\`idleTimeout\` of createServer() must be a number of seconds > 0; got ${String(seconds)}.`,
    );
  }
  if (!isReleasingRuntime(runtime)) {
    throw new TypeError(
      `\`idleTimeout\` of createServer() needs a \`runtime\` that journals runs and can release and resume them (\`new SqliteRuntime({ path })\` of @stepwise/sqlite); got ${runtime ? `the ${runtime.name} runtime` : "no runtime"}.`,
    );
  }
  return { runtime, timeoutMs: seconds * 1000 };
}
