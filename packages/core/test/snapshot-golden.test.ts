/**
 * The snapshot format as a golden file: a deterministic run (fixed run id, test clock) caught
 * mid-flight with a queue, a waiter, a retry timer, a collect buffer, an open fan-out and a
 * store must write exactly `fixtures/snapshot-golden.json`, and that file must still resume to
 * the run's result. A change to the format is a visible diff of the file; regenerate it with
 * `UPDATE_FIXTURES=1` once the change is meant.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  Context,
  Event,
  HumanResponseEvent,
  InMemoryRuntime,
  InputRequiredEvent,
  StartEvent,
  StopEvent,
  TestClock,
  Workflow,
} from "@stepwise/core";
import { z } from "zod";

const FIXTURE = new URL("./fixtures/snapshot-golden.json", import.meta.url);

class Task extends Event.define({ n: z.number(), at: z.date() }) {}
class Done extends Event.define({ n: z.number() }) {}
class Total extends Event.define({ n: z.number() }) {}
class Note extends Event.define({ text: z.string(), tags: z.set(z.string()) }) {}
class Ask extends InputRequiredEvent.define({ question: z.string() }) {}
class Reply extends HumanResponseEvent.define({ answer: z.string() }) {}

function golden(clock: TestClock, firstTime: boolean) {
  let flaky = firstTime ? 1 : 0;
  const wf = new Workflow({ name: "Golden", timeout: 30, runtime: new InMemoryRuntime({ clock }) });
  wf.addStep(
    "split",
    { accepts: StartEvent, emits: [Task, Note], fanOut: true },
    async (_ev: StartEvent, ctx) => {
      await ctx.store.set("phase", "split");
      ctx.sendEvent(new Note({ text: "noted", tags: new Set(["a", "b"]) }));
      return [1, 2, 3].map((n) => new Task({ n, at: new Date(Date.UTC(2026, 0, n)) }));
    },
  );
  wf.addStep(
    "work",
    { accepts: Task, emits: Done, numWorkers: 1, retry: { next: () => 5 } },
    async (ev: Task, ctx) => {
      if (ev.n === 1 && flaky-- > 0) {
        const error = new RangeError("flaky once");
        error.stack = "RangeError: flaky once"; // no file paths in the golden file
        throw error;
      }
      if (ev.n === 2) {
        const reply = await ctx.waitForEvent(Reply, { waiterEvent: new Ask({ question: "2?" }) });
        return new Done({ n: ev.n * 10 + reply.answer.length });
      }
      return new Done({ n: ev.n * 10 });
    },
  );
  wf.addStep(
    "gather",
    { accepts: Done, emits: Total, collect: true },
    (done: Done[]) => new Total({ n: done.reduce((sum, d) => sum + d.n, 0) }),
  );
  wf.addStep("finish", { accepts: [Total, Note], emits: StopEvent }, (ev: Total | Note, ctx) => {
    const both = ctx.collectEvents(ev, [Note, Total]);
    return both ? new StopEvent({ result: `${both[0].text} ${both[1].n}` }) : null;
  });
  return wf;
}

async function snapshotMidFlight(): Promise<unknown> {
  const clock = new TestClock(1_767_225_600_000);
  const handler = golden(clock, true).run({ topic: "golden" }, { runId: "golden-run" });
  await clock.advance(0);
  await clock.advance(0);
  const snapshot = JSON.parse(JSON.stringify(handler.ctx.toJSON()));
  await handler.cancel();
  return snapshot;
}

if (process.env.UPDATE_FIXTURES === "1") {
  writeFileSync(FIXTURE, `${JSON.stringify(await snapshotMidFlight(), null, 2)}\n`);
}

describe("the snapshot format", () => {
  it("writes exactly the golden file for a deterministic run caught mid-flight", async () => {
    const expected = JSON.parse(readFileSync(FIXTURE, "utf8"));
    assert.deepEqual(await snapshotMidFlight(), expected);
  });

  it("resumes the golden file to the run's result", async () => {
    const clock = new TestClock(1_767_225_600_000);
    const wf = golden(clock, false);
    const ctx = Context.fromJSON(wf, JSON.parse(readFileSync(FIXTURE, "utf8")));
    const handler = wf.run(undefined, { ctx });
    await clock.advance(0);
    handler.sendEvent(new Reply({ answer: "yes" }));
    await clock.advance(10_000);
    assert.equal(await handler, "noted 63");
  });
});
