import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Context,
  Event,
  getWorkflowGraph,
  StartEvent,
  type StepOptions,
  StopEvent,
  step,
  Workflow,
  WorkflowRuntimeError,
  WorkflowValidationError,
} from "@stepwise/core";
import { z } from "zod";

class MiddleEvent extends Event.define({ data: z.string() }) {}

class TwoSteps extends Workflow {
  @step({ accepts: StartEvent, emits: MiddleEvent })
  stepA(ev: StartEvent) {
    return new MiddleEvent({ data: `processed ${ev.input}` });
  }

  @step({ accepts: MiddleEvent, emits: StopEvent })
  async stepB(ev: MiddleEvent) {
    return new StopEvent({ result: ev.data });
  }
}

describe("@step on a class", () => {
  it("connects steps by the events they accept and emit", async () => {
    assert.equal(await new TwoSteps().run({ input: "x" }), "processed x");
  });

  it("runs a synchronous step method", async () => {
    class Sync extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      only() {
        return new StopEvent({ result: "sync" });
      }
    }
    assert.equal(await new Sync().run(), "sync");
  });

  it("gives steps the instance as `this`, with attributes and constructor arguments", async () => {
    class WithState extends Workflow {
      cache = new Map<string, string>();
      constructor(
        readonly prefix: string,
        options = {},
      ) {
        super(options);
      }

      @step({ accepts: StartEvent, emits: StopEvent })
      async only(ev: StartEvent) {
        this.cache.set(ev.key, "seen");
        return new StopEvent({ result: `${this.prefix}:${this.cache.size}` });
      }
    }
    const wf = new WithState("p", { timeout: 5 });
    assert.equal(await wf.run({ key: "a" }), "p:1");
    assert.equal(await wf.run({ key: "b" }), "p:2");
    assert.equal(wf.timeout, 5);
  });

  it("names a step by its method, or by `name`", () => {
    class Named extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent, name: "custom" })
      method() {
        return new StopEvent();
      }
    }
    assert.deepEqual(new Named().stepNames, ["custom"]);
    assert.deepEqual(new TwoSteps().stepNames, ["stepA", "stepB"]);
  });

  it("inherits steps from a parent workflow class, letting a subclass replace one", async () => {
    class Child extends TwoSteps {
      @step({ accepts: MiddleEvent, emits: StopEvent })
      override async stepB(ev: MiddleEvent) {
        return new StopEvent({ result: `child ${ev.data}` });
      }
    }
    assert.equal(await new Child().run({ input: "y" }), "child processed y");
  });

  it("is inspectable from the class without instantiating it", () => {
    let constructed = 0;
    class Counted extends TwoSteps {
      constructor() {
        super();
        constructed++;
      }
    }
    const graph = getWorkflowGraph(Counted);
    assert.equal(constructed, 0);
    const steps = graph.nodes.filter((n) => n.kind === "step").map((n) => n.id);
    assert.deepEqual(steps, ["step:stepA", "step:stepB"]);
    assert.deepEqual(
      graph.edges.map((e) => `${e.from}->${e.to}`),
      [
        "event:StartEvent->step:stepA",
        "step:stepA->event:MiddleEvent",
        "event:MiddleEvent->step:stepB",
        "step:stepB->event:StopEvent",
      ],
    );
  });

  it("exposes timeout, start and stop classes, events and step names", () => {
    const wf = new TwoSteps();
    assert.equal(wf.timeout, 60);
    assert.equal(wf.startEventClass, StartEvent);
    assert.equal(wf.stopEventClass, StopEvent);
    assert.deepEqual(
      wf.events.map((e) => e.eventType),
      ["StartEvent", "MiddleEvent", "StopEvent"],
    );
    assert.equal(wf.workflowName, "TwoSteps");
  });
});

describe("addStep (function API)", () => {
  it("builds a workflow without a class or decorator", async () => {
    const wf = new Workflow({ timeout: 10 })
      .addStep(
        "first",
        { accepts: StartEvent, emits: MiddleEvent },
        (ev) => new MiddleEvent({ data: String(ev.n * 2) }),
      )
      .addStep(
        "second",
        { accepts: MiddleEvent, emits: StopEvent },
        async (ev) => new StopEvent({ result: ev.data }),
      );
    assert.equal(await wf.run({ n: 21 }), "42");
  });

  it("passes the context as the second argument", async () => {
    const wf = new Workflow().addStep(
      "only",
      { accepts: StartEvent, emits: StopEvent },
      async (_ev, ctx: Context) => {
        await ctx.store.set("seen", true);
        return new StopEvent({ result: ctx.store.get("seen") });
      },
    );
    assert.equal(await wf.run(), true);
  });

  it("refuses a second step with the same name", () => {
    const wf = new Workflow().addStep(
      "a",
      { accepts: StartEvent, emits: StopEvent },
      () => new StopEvent(),
    );
    assert.throws(
      () => wf.addStep("a", { accepts: StartEvent, emits: StopEvent }, () => new StopEvent()),
      /step `a` is already part of/,
    );
  });

  it("makes the next run validate again after a step is added", async () => {
    const wf = new Workflow().addStep(
      "a",
      { accepts: StartEvent, emits: StopEvent },
      () => new StopEvent({ result: 1 }),
    );
    assert.equal(await wf.run(), 1);
    wf.addStep("orphan", { accepts: MiddleEvent, emits: StopEvent }, () => new StopEvent());
    assert.throws(() => wf.run(), WorkflowValidationError);
  });
});

describe("workflow options", () => {
  it("rejects unknown option names", () => {
    assert.throws(() => new TwoSteps({ timout: 5 } as never), /Unknown workflow option `timout`/);
  });

  it("rejects a bad numWorkers from the constructor, naming step and workflow", () => {
    class Bad extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent, numWorkers: 0 })
      only() {
        return new StopEvent();
      }
    }
    assert.throws(
      () => new Bad(),
      (error: unknown) =>
        error instanceof WorkflowValidationError &&
        /`numWorkers` of step `only` in Bad must be an integer greater than 0; got 0/.test(
          error.message,
        ),
    );
  });

  it("rejects unknown step option names", () => {
    const options = { accepts: StartEvent, emits: StopEvent, workers: 2 } as StepOptions<
      typeof StartEvent,
      typeof StopEvent
    >;
    class Bad extends Workflow {
      @step(options)
      only() {
        return new StopEvent();
      }
    }
    assert.throws(() => new Bad(), /Unknown option\(s\) `workers`/);
  });

  it("rejects a bad timeout", () => {
    assert.throws(
      () => new TwoSteps({ timeout: -1 }),
      /`timeout` of TwoSteps must be a number of seconds > 0/,
    );
  });

  it("rejects unknown run options", () => {
    assert.throws(() => new TwoSteps().run({}, { runid: "x" } as never), WorkflowRuntimeError);
  });

  it("names a workflow by its class or by `name`", () => {
    assert.equal(new TwoSteps({ name: "renamed" }).workflowName, "renamed");
  });
});
