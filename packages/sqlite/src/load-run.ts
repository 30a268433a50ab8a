/**
 * Reading one unfinished run back from the file: its ticks and published events, each checked
 * (numbered without gaps, as many as the run's row counts, valid JSON of the tick format, of
 * events and steps the workflow has). A run is read whole or refused with a `JournalError`
 * naming it; nothing of a refused run is started.
 */
import { JournalError } from "@stepwise/core";
import {
  decodePublished,
  decodeTick,
  defaultErrorRegistry,
  type ErrorRegistry,
  type JournalEntry,
  type PublishedEntry,
  type StoredRun,
  type WorkflowSpec,
} from "@stepwise/core/runtime";
import type Database from "better-sqlite3";

/** A row of `stepwise_runs`, as `recover()` selects it. */
export interface RunRow {
  readonly id: number;
  readonly run_id: string;
  readonly workflow: string;
  readonly steps: string;
  readonly base: string | null;
  readonly ticks: number;
  readonly events: number;
}

/** The step names of a workflow, sorted: what a run's row records and is checked against. */
export function stepNames(spec: WorkflowSpec): string[] {
  return Object.keys(spec.config.steps).sort();
}

/**
 * Reads a run's journal for `spec`.
 * @throws {@link JournalError} `corrupt`, `malformed`, `stepsDiffer`, `unknownStep`,
 * `unknownEventType`, `invalidEvent` or `inconsistent`, naming the run.
 */
export function readRun(db: Database.Database, row: RunRow, spec: WorkflowSpec): StoredRun {
  const runId = row.run_id;
  checkSteps(row, spec);
  // A run resumed from a snapshot is rebuilt from that snapshot plus its ticks.
  const base = row.base === null ? undefined : parseJson(row.base, runId, "its base snapshot");
  const errors = errorRegistry(spec);
  const entries: JournalEntry[] = [];
  const ticks = db
    .prepare("SELECT n, at, tick FROM stepwise_ticks WHERE run = ? ORDER BY n")
    .all(row.id) as { n: number; at: number; tick: string }[];
  for (const [i, tickRow] of ticks.entries()) {
    if (tickRow.n !== i) throw truncated(runId, `tick ${i} is missing`);
    const json = parseJson(tickRow.tick, runId, `tick ${i}`);
    const tick = decodeTick(json, spec.registry, {
      errors,
      steps: spec.steps,
      workflowName: spec.name,
      runId,
      entry: i,
    });
    entries.push({ tick, at: tickRow.at });
  }
  if (ticks.length !== row.ticks) {
    throw truncated(runId, `its row counts ${row.ticks} ticks, the file holds ${ticks.length}`);
  }
  const published: PublishedEntry[] = [];
  const events = db
    .prepare("SELECT seq, internal, event FROM stepwise_events WHERE run = ? ORDER BY seq")
    .all(row.id) as { seq: number; internal: number; event: string }[];
  for (const [i, eventRow] of events.entries()) {
    if (eventRow.seq !== i) throw truncated(runId, `published event ${i} is missing`);
    const entry = decodePublished(parseJson(eventRow.event, runId, `event ${i}`), spec.registry, {
      runId,
    });
    if (entry.seq !== i || entry.internal !== (eventRow.internal === 1)) {
      throw truncated(runId, `published event ${i} does not match its row`);
    }
    published.push(entry);
  }
  if (events.length !== row.events) {
    throw truncated(
      runId,
      `its row counts ${row.events} published events, the file holds ${events.length}`,
    );
  }
  return base === undefined
    ? { runId, workflowName: row.workflow, entries, published }
    : { runId, workflowName: row.workflow, entries, published, base };
}

function checkSteps(row: RunRow, spec: WorkflowSpec): void {
  const ours = stepNames(spec);
  let theirs: unknown;
  try {
    theirs = JSON.parse(row.steps);
  } catch {
    theirs = null;
  }
  if (!Array.isArray(theirs) || !theirs.every((name) => typeof name === "string")) {
    throw truncated(row.run_id, "its list of steps is not readable");
  }
  const gone = theirs.filter((name) => !ours.includes(name));
  const added = ours.filter((name) => !theirs.includes(name));
  if (gone.length === 0 && added.length === 0) return;
  const changes = [
    gone.length > 0 ? `steps ${gone.map((s) => `\`${s}\``).join(", ")} no longer exist` : "",
    added.length > 0 ? `steps ${added.map((s) => `\`${s}\``).join(", ")} are new` : "",
  ].filter(Boolean);
  throw new JournalError(
    "stepsDiffer",
    `Run \`${row.run_id}\` was journaled by a version of workflow \`${spec.name}\` with other steps (${changes.join("; ")}). Recover it with the version that started it, or abandon it (\`runtime.abandonRun("${row.run_id}")\`).`,
    { runId: row.run_id, ...(gone[0] ? { step: gone[0] } : {}) },
  );
}

function parseJson(text: string, runId: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new JournalError(
      "corrupt",
      `The journal of run \`${runId}\` is damaged: ${what} is not JSON (${(error as Error).message}). Restore the file from a backup, or abandon the run (\`runtime.abandonRun("${runId}")\`).`,
      { runId, cause: error },
    );
  }
}

function truncated(runId: string, problem: string): JournalError {
  return new JournalError(
    "corrupt",
    `The journal of run \`${runId}\` is damaged or truncated: ${problem}. Restore the file from a backup, or abandon the run (\`runtime.abandonRun("${runId}")\`).`,
    { runId },
  );
}

/** The error classes the workflow declares (once the spec carries them), else the default ones. */
function errorRegistry(spec: WorkflowSpec): ErrorRegistry {
  return (spec as { errors?: ErrorRegistry }).errors ?? defaultErrorRegistry;
}
