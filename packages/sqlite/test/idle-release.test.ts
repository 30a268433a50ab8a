/**
 * Releasing idle runs: a run that waits for an answer leaves memory (`releaseIdleRun`) and is
 * rebuilt from its journal (`resumeRun`) with its whole log, then goes on as if it had stayed.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { StartEvent, StopEvent, TestClock, Workflow, type WorkflowHandler } from "@stepwise/core";
import { SqliteRuntime } from "@stepwise/sqlite";
import { Answer, interviewFlow } from "./fixtures/interview-flow.ts";

const dir = mkdtempSync(join(tmpdir(), "stepwise-sqlite-idle-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function runtimeOnNewFile(clock?: TestClock): SqliteRuntime {
  return new SqliteRuntime({
    path: join(dir, `idle-${files++}.db`),
    synchronous: "normal",
    ...(clock ? { clock } : {}),
  });
}

/** Resolves once the run has published an event of `type` (internal events included). */
async function until(handler: WorkflowHandler, type: string): Promise<void> {
  for await (const logged of handler.subscribe({ after: -1, includeInternal: true })) {
    if (logged.event.constructor.name === type) return;
  }
  throw new Error(`run ${handler.runId} ended before a ${type}`);
}

async function types(handler: WorkflowHandler): Promise<string[]> {
  const seen: string[] = [];
  for await (const logged of handler.subscribe({ after: -1, includeInternal: true })) {
    seen.push(`${logged.seq} ${logged.event.constructor.name}`);
  }
  return seen;
}

describe("SqliteRuntime: releasing idle runs", () => {
  it("releases 1,000 runs waiting for an answer: none stays in progress here", async () => {
    const runtime = runtimeOnNewFile();
    try {
      const wf = interviewFlow(runtime);
      const handlers = Array.from({ length: 1000 }, (_, i) => wf.run({}, { runId: `wait-${i}` }));
      await Promise.all(handlers.map((handler) => until(handler, "WorkflowIdleEvent")));
      assert.equal(runtime.listRuns().length, 1000);
      for (const handler of handlers) {
        assert.deepEqual(runtime.releaseIdleRun(handler.runId), { wakeAt: null });
      }
      assert.equal(runtime.listRuns().length, 0);
      assert.equal(runtime.getRun("wait-7"), undefined);
    } finally {
      runtime.close();
    }
  });

  it("resumes a released run with its whole log, and an answer completes it", async () => {
    const runtime = runtimeOnNewFile();
    try {
      const wf = interviewFlow(runtime);
      const first = wf.run({}, { runId: "answer-me" });
      await until(first, "WorkflowIdleEvent");
      const before = first.lastSeq;
      assert.notEqual(runtime.releaseIdleRun("answer-me"), null);
      const resumed = (await runtime.resumeRun(wf, "answer-me"))?.handler;
      assert.ok(resumed);
      assert.equal(runtime.getRun("answer-me"), resumed);
      assert.equal(resumed.lastSeq, before, "the rebuilt log has every journaled event");
      resumed.sendEvent(new Answer({ answer: "Ada" }));
      assert.equal(await resumed, "hi Ada");
      const seen = await types(resumed);
      assert.deepEqual(
        seen.filter((line) => /Ask|StopEvent/.test(line)),
        ["2 Ask", `${seen.length - 1} StopEvent`],
      );
      assert.deepEqual(
        seen.map((line) => Number(line.split(" ")[0])),
        seen.map((_, i) => i),
        "every sequence number once",
      );
    } finally {
      runtime.close();
    }
  });

  it("refuses to release a run that is working", async () => {
    const runtime = runtimeOnNewFile();
    try {
      const busy = new Workflow({ runtime, name: "Busy", timeout: null }).addStep(
        "work",
        { accepts: StartEvent, emits: StopEvent },
        (_ev, ctx) =>
          new Promise<StopEvent>((resolve) =>
            ctx.signal.addEventListener("abort", () => resolve(new StopEvent({}))),
          ),
      );
      const handler = busy.run({}, { runId: "busy" });
      await until(handler, "StepStateChanged");
      assert.equal(runtime.releaseIdleRun("busy"), null);
      assert.equal(runtime.getRun("busy"), handler);
      await handler.cancel();
    } finally {
      runtime.close();
    }
  });

  it("says when a released run's next timer (its timeout) falls due", async () => {
    const clock = new TestClock(1_000);
    const runtime = runtimeOnNewFile(clock);
    try {
      const wf = interviewFlow(runtime, 60);
      const handler = wf.run({}, { runId: "timed" });
      const idle = until(handler, "WorkflowIdleEvent");
      await clock.advance(0); // the idle check is a 0 ms timer on the runtime's clock
      await idle;
      assert.deepEqual(runtime.releaseIdleRun("timed"), { wakeAt: 61_000 });
      assert.equal(runtime.releaseIdleRun("timed"), null, "no longer here");
      const resumed = (await runtime.resumeRun(wf, "timed"))?.handler;
      assert.ok(resumed);
      await clock.advance(60_000);
      await assert.rejects(Promise.resolve(resumed), { name: "WorkflowTimeoutError" });
    } finally {
      runtime.close();
    }
  });

  it("resumes nothing for a run id the file has no unfinished run of", async () => {
    const runtime = runtimeOnNewFile();
    try {
      assert.equal(await runtime.resumeRun(interviewFlow(runtime), "nope"), null);
    } finally {
      runtime.close();
    }
  });
});
