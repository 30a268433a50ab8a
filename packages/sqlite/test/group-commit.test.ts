/**
 * Batches of many runs handed over in one turn share a transaction: each run's journal is still
 * whole and in order, and a batch that cannot be written fails its own run only.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  Event,
  RunAdmissionError,
  StartEvent,
  StopEvent,
  Workflow,
  type WorkflowHandler,
} from "@stepwise/core";
import { SqliteRuntime } from "@stepwise/sqlite";
import Database from "better-sqlite3";
import { z } from "zod";

const dir = mkdtempSync(join(tmpdir(), "stepwise-sqlite-group-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = () => join(dir, `group-${++files}.db`);

class Hop extends Event.define({ n: z.number() }) {}

/** Three hops, then the run's result: its number of hops. */
function hops(runtime: SqliteRuntime) {
  return new Workflow({ runtime, name: "Hops", timeout: null })
    .addStep("start", { accepts: StartEvent, emits: Hop }, () => new Hop({ n: 1 }))
    .addStep("hop", { accepts: Hop, emits: [Hop, StopEvent] }, async (ev: Hop) =>
      ev.n < 3 ? new Hop({ n: ev.n + 1 }) : new StopEvent({ result: ev.n }),
    );
}

function outcome(handler: WorkflowHandler): Promise<unknown> {
  return Promise.resolve(handler).then(
    (result) => result,
    (error: unknown) => error,
  );
}

describe("SqliteRuntime: batches of many runs", () => {
  it("journals 300 runs started at once, each with its ticks numbered without gaps", async () => {
    const path = newFile();
    const runtime = new SqliteRuntime({ path, synchronous: "normal" });
    const wf = hops(runtime);
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => wf.run({}, { runId: `run-${i}` })),
    );
    runtime.close();
    assert.deepEqual(new Set(results), new Set([3]));
    const db = new Database(path, { readonly: true });
    const rows = db
      .prepare(
        "SELECT r.status, r.ticks, COUNT(t.n) AS held, MAX(t.n) AS last FROM stepwise_runs r JOIN stepwise_ticks t ON t.run = r.id GROUP BY r.id",
      )
      .all() as { status: string; ticks: number; held: number; last: number }[];
    db.close();
    assert.equal(rows.length, 300);
    for (const row of rows) {
      assert.equal(row.status, "completed");
      assert.equal(row.held, row.ticks);
      assert.equal(row.last, row.ticks - 1);
    }
  });

  it("fails only the run whose batch cannot be written, when it shares a transaction", async () => {
    const path = newFile();
    const first = new SqliteRuntime({ path, owner: "first", synchronous: "normal" });
    const second = new SqliteRuntime({ path, owner: "second", synchronous: "normal" });
    // Started in one turn: neither runtime's row for `same` exists yet when the other checks.
    const winner = hops(first).run({}, { runId: "same" });
    const loser = hops(second).run({}, { runId: "same" });
    const neighbour = hops(second).run({}, { runId: "neighbour" });
    const [won, lost, beside] = await Promise.all([winner, loser, neighbour].map(outcome));
    first.close();
    second.close();
    assert.equal(won, 3);
    const cause = (lost as { cause?: unknown }).cause;
    assert.ok(cause instanceof RunAdmissionError, `a RunAdmissionError, not ${String(cause)}`);
    assert.equal(cause.code, "duplicateRunId");
    assert.equal(beside, 3);
  });
});
