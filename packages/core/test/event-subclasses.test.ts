import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Context,
  Event,
  StartEvent,
  StopEvent,
  Workflow,
  WorkflowValidationError,
} from "@stepwise/core";
import { z } from "zod";

class Animal extends Event.define({ name: z.string() }) {}
class Dog extends Animal {}
class Puppy extends Dog {}

function zoo(acceptEventSubclasses: boolean, send: () => Animal) {
  const seen: string[] = [];
  const wf = new Workflow({ timeout: 2 });
  wf.addStep("start", { accepts: StartEvent, emits: Animal }, () => send());
  wf.addStep("any", { accepts: Animal, emits: StopEvent, acceptEventSubclasses }, (ev: Animal) => {
    seen.push(`${(ev.constructor as typeof Event).eventType}:${ev.name}`);
    return new StopEvent({ result: seen });
  });
  return wf;
}

describe("acceptEventSubclasses", () => {
  it("routes an event of a subclass to a step that asks for subclasses", async () => {
    assert.deepEqual(await zoo(true, () => new Puppy({ name: "rex" })).run(), ["Puppy:rex"]);
  });

  it("still routes the accepted class itself", async () => {
    assert.deepEqual(await zoo(true, () => new Animal({ name: "cat" })).run(), ["Animal:cat"]);
  });

  it("leaves routing by exact class the default", async () => {
    const wf = zoo(false, () => new Dog({ name: "rex" }));
    await assert.rejects(wf.run(), /timed out/);
  });

  it("delivers a subclass to every step that receives it, in declaration order", async () => {
    const order: string[] = [];
    const wf = new Workflow({ timeout: 2 });
    wf.addStep("start", { accepts: StartEvent, emits: Dog }, () => new Dog({ name: "d" }));
    wf.addStep("exact", { accepts: Dog, emits: StopEvent }, async () => {
      order.push("exact");
      return null;
    });
    wf.addStep(
      "broad",
      { accepts: Animal, emits: StopEvent, acceptEventSubclasses: true },
      async () => {
        order.push("broad");
        await new Promise((resolve) => setTimeout(resolve, 5));
        return new StopEvent({ result: order });
      },
    );
    assert.deepEqual(await wf.run(), ["exact", "broad"]);
  });

  it("lets sendEvent target such a step with a subclass", async () => {
    const wf = new Workflow({ timeout: 2 });
    wf.addStep("start", { accepts: StartEvent, emits: Animal }, (_e: StartEvent, ctx: Context) => {
      ctx.sendEvent(new Puppy({ name: "p" }), { step: "any" });
      return null;
    });
    wf.addStep(
      "any",
      { accepts: Animal, emits: StopEvent, acceptEventSubclasses: true },
      (ev: Animal) => new StopEvent({ result: ev.name }),
    );
    assert.equal(await wf.run(), "p");
  });

  it("counts a produced subclass as producing what the step consumes", () => {
    const wf = new Workflow();
    wf.addStep("start", { accepts: StartEvent, emits: Dog }, () => new Dog({ name: "d" }));
    wf.addStep(
      "any",
      { accepts: Animal, emits: StopEvent, acceptEventSubclasses: true },
      () => new StopEvent({}),
    );
    wf.validate();
    const strict = new Workflow();
    strict.addStep("start", { accepts: StartEvent, emits: Dog }, () => new Dog({ name: "d" }));
    strict.addStep("any", { accepts: Animal, emits: StopEvent }, () => new StopEvent({}));
    assert.throws(() => strict.validate(), WorkflowValidationError);
  });
});
