/**
 * What a quiet run is waiting for, in words: for the verbose log when the run goes idle, and for
 * the timeout error of a run that timed out with no step active.
 */
import type { RunState } from "../control-loop/run-state.js";

const list = (names: Iterable<string>) => [...names].map((n) => `\`${n}\``).join(", ");

/**
 * Says what can still move a run in which nothing runs or is queued: the events its waiting
 * steps wait for, or, when none waits, the steps that last returned no event although they
 * declare `emits` (a forgotten `return`, most often).
 */
export function describeIdle(state: RunState, silent: ReadonlySet<string> | null): string {
  const waits: string[] = [];
  for (const [name, step] of Object.entries(state.steps)) {
    for (const waiter of step.waiters) {
      if (!waiter.resolved && !waiter.timedOut)
        waits.push(`${waiter.eventType} (step \`${name}\`)`);
    }
  }
  if (waits.length > 0) {
    return `the run is waiting for an event from outside: ${waits.join(", ")}. Send it with \`handler.sendEvent()\``;
  }
  if (silent && silent.size > 0) {
    const one = silent.size === 1;
    return `nothing can move the run: ${one ? "step" : "steps"} ${list(silent)} returned no event although ${one ? "it declares" : "they declare"} \`emits\`. Return the event that continues the run (a missing \`return\`?)`;
  }
  return "nothing can move the run but an event sent from outside (`handler.sendEvent()`)";
}
