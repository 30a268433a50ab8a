/**
 * Rebuilding a run from its journal: every tick replayed through `reduce`, in order, with the
 * time it was first applied at. The commands are dropped: what they did (steps started, events
 * published, timers armed) already happened, or happens again when the rebuilt run resumes.
 */
import type { Command } from "../control-loop/commands.js";
import { reduceInto } from "../control-loop/reduce.js";
import { initialRunState, type RunState } from "../control-loop/run-state.js";
import type { JournalEntry } from "./adapter.js";
import type { WorkflowSpec } from "./spec.js";

/** A run as its journal left it. */
export interface RebuiltRun {
  readonly state: RunState;
  /** The store's data after its last journaled write, or null when none was written. */
  readonly store: Record<string, unknown> | null;
  /** The keys of the stream writes the journal holds (a step that runs again skips them). */
  readonly writes: ReadonlySet<string>;
}

/** Where a rebuild starts: a fresh run, or the snapshot a resumed run started from. */
export interface RebuildBase {
  readonly state: RunState;
  readonly store: Record<string, unknown> | null;
}

/**
 * Replays a journal into a fresh run state of `spec`. Work items whose result was never
 * journaled are still in their workers: the `resume` tick puts them back at the head of their
 * queues, so only they run again.
 */
export function rebuildRun(
  spec: WorkflowSpec,
  entries: readonly JournalEntry[],
  base: RebuildBase | null = null,
): RebuiltRun {
  const state = base ? base.state : initialRunState(spec.config);
  const commands: Command[] = [];
  let store: Record<string, unknown> | null = base?.store ?? null;
  const writes = new Set<string>();
  for (const { tick, at } of entries) {
    if (tick.type === "store") store = tick.data as Record<string, unknown>;
    else if (tick.type === "write" && tick.key !== undefined) writes.add(tick.key);
    reduceInto(state, tick, at, commands);
    commands.length = 0;
  }
  return { state, store, writes };
}
