/**
 * The behaviour every runtime must show, as one suite: core runs it on the in-memory runtime,
 * and a durable runtime (e.g. `@stepwise/dbos`) runs the same suite on its own.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Context,
  Event,
  HumanResponseEvent,
  InputRequiredEvent,
  type Runtime,
  StartEvent,
  StopEvent,
  Workflow,
  WorkflowCancelledError,
  WorkflowFailedEvent,
} from "@stepwise/core";
import { z } from "zod";

class Hop extends Event.define({ n: z.number() }) {}
class Part extends Event.define({ i: z.number() }) {}
class Ask extends InputRequiredEvent.define({ question: z.string() }) {}
class Answer extends HumanResponseEvent.define({ answer: z.string() }) {}

/** Registers the runtime conformance suite for runtimes made by `makeRuntime`. */
export function runtimeSuite(name: string, makeRuntime: () => Runtime): void {
  describe(`runtime conformance: ${name}`, () => {
    it("runs a chain of steps to its result", async () => {
      const wf = new Workflow({ runtime: makeRuntime() })
        .addStep("start", { accepts: StartEvent, emits: Hop }, () => new Hop({ n: 0 }))
        .addStep("hop", { accepts: Hop, emits: [Hop, StopEvent] }, async (ev) =>
          ev.n < 10 ? new Hop({ n: ev.n + 1 }) : new StopEvent({ result: ev.n }),
        );
      assert.equal(await wf.run(), 10);
    });

    it("fans out and back in", async () => {
      const expected = [Part, Part, Part, Part];
      const wf = new Workflow({ runtime: makeRuntime() })
        .addStep("fan", { accepts: StartEvent, emits: Part }, (_ev, ctx) => {
          for (let i = 0; i < 4; i++) ctx.sendEvent(new Part({ i }));
          return null;
        })
        .addStep("gather", { accepts: Part, emits: StopEvent }, (ev, ctx) => {
          const all = ctx.collectEvents(ev, expected);
          return all ? new StopEvent({ result: all.map((p) => p.i) }) : null;
        });
      assert.deepEqual(await wf.run(), [0, 1, 2, 3]);
    });

    it("re-throws a step's error and ends the stream with WorkflowFailedEvent", async () => {
      const boom = new Error("boom");
      const wf = new Workflow({ runtime: makeRuntime() }).addStep(
        "fail",
        { accepts: StartEvent, emits: StopEvent },
        () => {
          throw boom;
        },
      );
      const handler = wf.run();
      const events: Event[] = [];
      for await (const ev of handler.streamEvents()) events.push(ev);
      await assert.rejects(handler, (error) => error === boom);
      assert.ok(events.at(-1) instanceof WorkflowFailedEvent);
    });

    it("cancels a run", async () => {
      const wf = new Workflow({ runtime: makeRuntime() }).addStep(
        "hang",
        { accepts: StartEvent, emits: StopEvent },
        async (_ev, ctx) => {
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          return new StopEvent();
        },
      );
      const handler = wf.run();
      await handler.cancel();
      await assert.rejects(handler, WorkflowCancelledError);
    });

    it("refuses a duplicate active runId", async () => {
      const runtime = makeRuntime();
      const wf = new Workflow({ runtime }).addStep(
        "hang",
        { accepts: StartEvent, emits: StopEvent },
        async (_ev, ctx) => {
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          return new StopEvent();
        },
      );
      const first = wf.run({}, { runId: "dup" });
      assert.throws(() => wf.run({}, { runId: "dup" }), /already exists/);
      await first.cancel();
    });

    it("pauses for human input and resumes from a snapshot in a new context", async () => {
      let asked = 0;
      const build = () =>
        new Workflow({ runtime: makeRuntime(), name: "HumanLoop" })
          .addStep("ask", { accepts: StartEvent, emits: Ask }, () => {
            asked++;
            return new Ask({ question: "name?" });
          })
          .addStep(
            "greet",
            { accepts: Answer, emits: StopEvent },
            (ev) => new StopEvent({ result: `hi ${ev.answer}` }),
          );
      const first = build().run();
      for await (const ev of first.streamEvents()) if (ev instanceof Ask) break;
      const snapshot = JSON.parse(JSON.stringify(first.ctx.toJSON()));
      await first.cancel();
      const wf = build();
      const resumed = wf.run(undefined, { ctx: Context.fromJSON(wf, snapshot) });
      resumed.sendEvent(new Answer({ answer: "ada" }));
      assert.equal(await resumed, "hi ada");
      assert.equal(asked, 1);
    });
  });
}
