/** Bad input to the DBOS runtime: one clear error with a code, nothing half-written, nothing hangs. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  Event,
  HumanResponseEvent,
  InputRequiredEvent,
  StartEvent,
  StopEvent,
  Workflow,
  WorkflowRuntimeError,
} from "@stepwise/core";
import pg from "pg";
import { z } from "zod";
import { DbosRuntime, DbosRuntimeError } from "../src/index.ts";
import { ADMIN_URL, databaseUrl, freshDatabase, skipPostgres } from "./support/postgres.ts";

class Ask extends InputRequiredEvent.define({ question: z.string() }) {}
class Answer extends HumanResponseEvent.define({ answer: z.string() }) {}
class Other extends Event.define({}) {}

const isCode = (code: string) => (error: unknown) =>
  error instanceof DbosRuntimeError && error.code === code;

describe("@stepwise/dbos: bad input", { skip: skipPostgres }, () => {
  it("refuses options that are not valid, naming each problem", () => {
    assert.throws(
      () => new DbosRuntime({ databaseUrl: "mysql://x", pollMs: -1, bogus: 1 } as never),
      (error) =>
        error instanceof WorkflowRuntimeError &&
        error.code === "invalidRuntimeOptions" &&
        /databaseUrl/.test(error.message) &&
        /pollMs/.test(error.message) &&
        /bogus/.test(error.message),
    );
  });

  it("says a database that cannot be reached cannot be reached", async () => {
    const url = new URL(ADMIN_URL);
    url.port = "1";
    const runtime = new DbosRuntime({ databaseUrl: url.toString(), executorId: "nowhere" });
    await assert.rejects(runtime.launch(), isCode("unreachable"));
  });

  it("says a database that refuses the connection refused it", async () => {
    const runtime = new DbosRuntime({
      databaseUrl: databaseUrl("stepwise_no_such_database"),
      executorId: "refused",
    });
    await assert.rejects(runtime.launch(), isCode("connectionRefused"));
  });
});

describe("@stepwise/dbos: bad input to a running runtime", { skip: skipPostgres }, () => {
  let runtime: DbosRuntime;
  let drop = async () => {};
  let url = "";

  before(async () => {
    ({ url, drop } = await freshDatabase());
    runtime = new DbosRuntime({ databaseUrl: url, executorId: "errors", idleTimeoutMs: 60_000 });
  });
  after(async () => {
    await runtime.shutdown();
    await drop();
  });

  const echo = () =>
    new Workflow({ runtime, name: "Echo" }).addStep(
      "echo",
      { accepts: StartEvent, emits: StopEvent },
      (ev) => new StopEvent({ result: ev.get("value") }),
    );

  it("refuses a run id taken by a run of another workflow", async () => {
    assert.equal(await echo().run({ value: 1 }, { runId: "taken-1" }), 1);
    const other = new Workflow({ runtime, name: "Other" }).addStep(
      "only",
      { accepts: StartEvent, emits: StopEvent },
      () => new StopEvent(),
    );
    await assert.rejects(other.run({}, { runId: "taken-1" }), isCode("runIdTaken"));
  });

  it("refuses an event for a run that has ended, and for a run that is not there", async () => {
    const handler = echo().run({ value: 2 }, { runId: "ended-1" });
    assert.equal(await handler, 2);
    await assert.rejects(runtime.sendEvent("ended-1", new Other()), isCode("runEnded"));
    assert.throws(
      () => handler.sendEvent(new Other()),
      (error) => error instanceof WorkflowRuntimeError && error.code === "runEnded",
    );
    await assert.rejects(runtime.sendEvent("no-such-run", new Other()), isCode("unknownRun"));
  });

  it("fails a run whose step output cannot be stored, with nothing of that output written", async () => {
    const wf = new Workflow({ runtime, name: "Unstorable" }).addStep(
      "bad",
      { accepts: StartEvent, emits: StopEvent },
      () => new StopEvent({ result: { callback: () => 1 } }),
    );
    await assert.rejects(
      wf.run({}, { runId: "unstorable-1" }),
      // Revived from the database by name and fields (a class the workflow's \`errors\` does not list).
      (error: unknown) =>
        error instanceof Error &&
        error.name === "JournalError" &&
        (error as { code?: string }).code === "unserializable" &&
        /cannot be journaled/.test(error.message),
    );
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const row = await admin.query("SELECT status FROM stepwise.runs WHERE run_id = 'unstorable-1'");
    const results = await admin.query(
      "SELECT count(*)::int AS n FROM stepwise.journal WHERE run_id = 'unstorable-1' AND tick LIKE '%stepResult%'",
    );
    await admin.end();
    assert.equal(row.rows[0]?.status, "failed");
    assert.equal(results.rows[0]?.n, 0);
  });

  it("delivers an event sent twice with the same key once", async () => {
    const wf = new Workflow({ runtime, name: "Tally", timeout: null })
      .addStep("ask", { accepts: StartEvent, emits: Ask }, () => new Ask({ question: "?" }))
      .addStep("count", { accepts: Answer, emits: StopEvent }, async (ev, ctx) => {
        const seen = ((await ctx.store.get("seen", 0)) as number) + 1;
        await ctx.store.set("seen", seen);
        return ev.answer === "done" ? new StopEvent({ result: seen }) : undefined;
      });
    const handler = wf.run({}, { runId: "tally-1" });
    for await (const { event } of handler.subscribe()) if (event instanceof Ask) break;
    await runtime.sendEvent("tally-1", new Answer({ answer: "a" }), { key: "k1" });
    await runtime.sendEvent("tally-1", new Answer({ answer: "a" }), { key: "k1" });
    await runtime.sendEvent("tally-1", new Answer({ answer: "done" }), { key: "k2" });
    assert.equal(await handler, 2);
  });
});
