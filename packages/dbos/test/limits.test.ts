/** Concurrency limits go to DBOS queues: `globalConcurrentRuns` bounds a workflow's runs over all workers. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { StartEvent, StopEvent, Workflow } from "@stepwise/core";
import { DbosRuntime } from "../src/index.ts";
import { freshDatabase, skipPostgres } from "./support/postgres.ts";

describe("@stepwise/dbos: concurrency limits", { skip: skipPostgres }, () => {
  let runtime: DbosRuntime;
  let drop = async () => {};
  before(async () => {
    const db = await freshDatabase();
    drop = db.drop;
    runtime = new DbosRuntime({
      databaseUrl: db.url,
      executorId: "limits",
      pollMs: 20,
      globalConcurrentRuns: { Gate: 1 },
    });
  });
  after(async () => {
    await runtime.shutdown();
    await drop();
  });

  it("runs no more of a workflow at once than its global limit", async () => {
    let active = 0;
    let most = 0;
    const gate = new Workflow({ runtime, name: "Gate", timeout: null }).addStep(
      "hold",
      { accepts: StartEvent, emits: StopEvent },
      async () => {
        most = Math.max(most, ++active);
        await new Promise((resolve) => setTimeout(resolve, 100));
        active--;
        return new StopEvent({ result: "ok" });
      },
    );
    await runtime.launch([gate]);
    const results = await Promise.all([1, 2, 3].map((i) => gate.run({}, { runId: `gate-${i}` })));
    assert.deepEqual(results, ["ok", "ok", "ok"]);
    assert.equal(most, 1);
  });
});
