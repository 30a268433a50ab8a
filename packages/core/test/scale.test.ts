import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Event, StartEvent, StopEvent, Workflow } from "@stepwise/core";
import { z } from "zod";

class Counter extends Event.define({ n: z.number() }) {}
class Part extends Event.define({ i: z.number() }) {}

describe("long runs", () => {
  it("finishes a 100,000-hop chain without growing the stack", async () => {
    const wf = new Workflow({ timeout: null, trace: false })
      .addStep("start", { accepts: StartEvent, emits: Counter }, () => new Counter({ n: 0 }))
      .addStep("hop", { accepts: Counter, emits: [Counter, StopEvent] }, async (ev) =>
        ev.n < 100_000 ? new Counter({ n: ev.n + 1 }) : new StopEvent({ result: ev.n }),
      );
    assert.equal(await wf.run(), 100_000);
  });

  it("fans 20,000 events out and back in", async () => {
    const n = 20_000;
    class Done extends Event.define({ i: z.number() }) {}
    const doneExpected = Array.from({ length: n }, () => Done);
    const fan = new Workflow({ timeout: null })
      .addStep("fan", { accepts: StartEvent, emits: Part }, (_ev, ctx) => {
        for (let i = 0; i < n; i++) ctx.sendEvent(new Part({ i }));
        return null;
      })
      .addStep(
        "work",
        { accepts: Part, emits: Done, numWorkers: 8 },
        async (ev) => new Done({ i: ev.i }),
      )
      .addStep("gather", { accepts: Done, emits: StopEvent }, (ev, ctx) => {
        const all = ctx.collectEvents(ev, doneExpected);
        return all ? new StopEvent({ result: all.length }) : null;
      });
    assert.equal(await fan.run(), n);
  });
});
