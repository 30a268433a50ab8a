/**
 * `idleTimeout`: runs waiting for an answer longer than it leave memory (the server's and the
 * runtime's), and come back from their journal, whole stream included, when a request needs them.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { InMemoryRuntime, TestClock } from "@stepwise/core";
import { createServer, type HandlerRecord, serverStats } from "@stepwise/server";
import { SqliteRuntime } from "@stepwise/sqlite";
import type { Hono } from "hono";
import { allWorkflows } from "./fixtures/workflows.js";
import { answer, call, openStream, StreamReader, startRun, waitForEnd } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "stepwise-server-idle-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;

/** An app on a SQLite runtime (on a test clock) that releases runs idle for 60 seconds. */
function idleApp(): { app: Hono; runtime: SqliteRuntime; clock: TestClock } {
  const clock = new TestClock(1_000_000);
  const runtime = new SqliteRuntime({
    path: join(dir, `idle-${files++}.db`),
    synchronous: "normal",
    clock,
  });
  const app = createServer({
    workflows: allWorkflows(),
    runtime,
    store: runtime.handlerStore<HandlerRecord>(),
    idleTimeout: 60,
    heartbeatInterval: 0.05,
    debugger: false,
  });
  return { app, runtime, clock };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** Lets the runs' idle checks (0 ms timers on the test clock) fire, and their feeds catch up. */
async function settle(clock: TestClock): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await clock.advance(0);
    await tick();
  }
}

/** Moves the clock on by `ms`, then lets what that set off finish. */
async function advance(clock: TestClock, ms: number): Promise<void> {
  await clock.advance(ms);
  await tick();
}

describe("createServer({ idleTimeout }) on a SQLite runtime", () => {
  it("holds none of 1,000 runs waiting for an answer in memory once they have waited idle that long", async () => {
    const { app, runtime, clock } = idleApp();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 1000; i++) ids.push(await startRun(app, "hitl"));
      await settle(clock);
      assert.equal(runtime.listRuns().length, 1000);
      await advance(clock, 59_000);
      assert.equal(runtime.listRuns().length, 1000, "not before the timeout");
      await advance(clock, 1_000);
      assert.equal(runtime.listRuns().length, 0);
      assert.equal(serverStats(app).runsInMemory, 0);
      const listed = await call(app, "GET", "/handlers?status=running");
      assert.equal(listed.json.handlers.length, 1000, "every handler is still running");
      const one = await call(app, "GET", `/handlers/${ids[500]}`);
      assert.equal(one.status, 202);
    } finally {
      runtime.close();
    }
  });

  it("resumes a released run when an event is sent to it, and serves its whole stream", async () => {
    const { app, runtime, clock } = idleApp();
    try {
      const id = await startRun(app, "hitl");
      await settle(clock);
      const before = new StreamReader(await openStream(app, id, "after_sequence=-1"));
      const asked = await before.until("AskEvent");
      await before.cancel();
      await tick();
      await advance(clock, 60_000);
      assert.equal(runtime.listRuns().length, 0);

      const sent = await answer(app, id, "Ada");
      assert.equal(sent.status, 200);
      assert.deepEqual(sent.json, { status: "sent" });
      await settle(clock);
      const done = await waitForEnd(app, id);
      assert.equal(done.json.status, "completed");
      assert.deepEqual(done.json.result.value, { result: "Hello, Ada!" });

      const reader = new StreamReader(
        await openStream(app, id, "after_sequence=-1&include_internal=true"),
      );
      const frames = await reader.rest();
      assert.deepEqual(
        frames.map((frame) => frame.id),
        frames.map((_, i) => i),
        "every sequence number once, from 0",
      );
      const publicTypes = frames
        .filter((frame) => !(frame.data.types ?? []).includes("InternalDispatchEvent"))
        .map((frame) => `${frame.id} ${frame.data.type}`);
      assert.equal(
        publicTypes[1],
        `${asked.id} AskEvent`,
        "the journaled events keep their numbers",
      );
      assert.deepEqual(
        publicTypes.map((line) => line.split(" ")[1]),
        ["ProgressEvent", "AskEvent", "ProgressEvent", "StopEvent"],
      );
    } finally {
      runtime.close();
    }
  });

  it("resumes a released run for a stream, which follows it to its end", async () => {
    const { app, runtime, clock } = idleApp();
    try {
      const id = await startRun(app, "hitl");
      await settle(clock);
      await advance(clock, 60_000);
      assert.equal(runtime.listRuns().length, 0);
      const reader = new StreamReader(await openStream(app, id, "after_sequence=-1"));
      assert.equal((await reader.until("AskEvent")).data.value.prompt, "name?");
      assert.equal(runtime.listRuns().length, 1);
      await answer(app, id, "Bo");
      await settle(clock);
      const rest = await reader.rest();
      assert.deepEqual(
        rest.map((frame) => frame.data.type),
        ["ProgressEvent", "StopEvent"],
      );
      assert.equal(rest.at(-1)?.data.value.result, "Hello, Bo!");
    } finally {
      runtime.close();
    }
  });

  it("keeps a run that a stream is following, and releases it once the stream is gone", async () => {
    const { app, runtime, clock } = idleApp();
    try {
      const id = await startRun(app, "hitl");
      await settle(clock);
      const reader = new StreamReader(await openStream(app, id, "after_sequence=-1"));
      await reader.until("AskEvent");
      await advance(clock, 60_000);
      assert.equal(runtime.listRuns().length, 1, "a watched run stays");
      await reader.cancel();
      await tick();
      await advance(clock, 60_000);
      assert.equal(runtime.listRuns().length, 0);
    } finally {
      runtime.close();
    }
  });

  it("cancels a released run through its journal", async () => {
    const { app, runtime, clock } = idleApp();
    try {
      const id = await startRun(app, "hitl");
      await settle(clock);
      await advance(clock, 60_000);
      const cancelled = await call(app, "POST", `/handlers/${id}/cancel`);
      assert.deepEqual(cancelled.json, { status: "cancelled" });
      const record = await call(app, "GET", `/handlers/${id}`);
      assert.equal(record.json.status, "cancelled");
      assert.equal(runtime.listRuns().length, 0);
      const hitl = allWorkflows().hitl;
      assert.equal(await runtime.resumeRun(hitl, record.json.run_id), null, "its journal ended");
    } finally {
      runtime.close();
    }
  });

  it("refuses `idleTimeout` without a runtime that can release runs, saying which one to use", () => {
    assert.throws(
      () => createServer({ workflows: allWorkflows(), idleTimeout: 60 }),
      /`idleTimeout`.*SqliteRuntime.*got no runtime/,
    );
    assert.throws(
      () =>
        createServer({
          workflows: allWorkflows(),
          runtime: new InMemoryRuntime(),
          idleTimeout: 60,
        }),
      /got the (in-memory|local|memory)[a-z-]* runtime/,
    );
    assert.throws(
      () => createServer({ workflows: allWorkflows(), idleTimeout: 0 }),
      /seconds > 0; got 0/,
    );
  });
});
