import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Context,
  catchError,
  Event,
  InMemoryRuntime,
  retryPolicy,
  StartEvent,
  StepFailedEvent,
  StopEvent,
  step,
  stopAfterAttempt,
  TestClock,
  Workflow,
  WorkflowFailedEvent,
  type WorkflowHandler,
  WorkflowValidationError,
  waitFixed,
} from "@stepwise/core";
import { z } from "zod";

class WorkEvent extends Event.define({ item: z.string() }) {}

/** Collects every published event of a run, in order, until the stream ends. */
async function collect(handler: WorkflowHandler): Promise<Event[]> {
  const events: Event[] = [];
  for await (const ev of handler.streamEvents()) events.push(ev);
  return events;
}

function runtime(clock = new TestClock()) {
  return new InMemoryRuntime({ clock });
}

/** Asserts that building and validating `make()` fails with a message matching `pattern`. */
function assertInvalid(make: () => Workflow, pattern: RegExp): void {
  assert.throws(
    () => make().validate(),
    (error: unknown) => {
      assert.ok(error instanceof WorkflowValidationError, `got ${String(error)}`);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe("@catchError recovery", () => {
  it("lets the handler end the run successfully with a stop event", async () => {
    class Recovering extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async fragile(): Promise<StopEvent> {
        throw new Error("broken");
      }

      @catchError({ emits: StopEvent })
      async recover(ev: StepFailedEvent) {
        return new StopEvent({ result: `recovered from ${ev.error.message}` });
      }
    }
    const result = await new Recovering({ runtime: runtime() }).run();
    assert.equal(result, "recovered from broken");
  });

  it("gives the handler the failed step, its input event, error, attempts, elapsed seconds and failure time", async () => {
    const start = 1_700_000_000_000;
    const clock = new TestClock(start);
    const boom = new Error("boom");
    let received: StepFailedEvent | undefined;
    class Inspected extends Workflow {
      @step({ accepts: StartEvent, emits: WorkEvent })
      async begin() {
        return new WorkEvent({ item: "apple" });
      }

      @step({
        accepts: WorkEvent,
        emits: StopEvent,
        retry: retryPolicy({ wait: waitFixed(5), stop: stopAfterAttempt(2) }),
      })
      async fragile(): Promise<StopEvent> {
        throw boom;
      }

      @catchError({ emits: StopEvent })
      async recover(ev: StepFailedEvent) {
        received = ev;
        return new StopEvent({ result: "ok" });
      }
    }
    const handler = new Inspected({ timeout: null, runtime: runtime(clock) }).run();
    await clock.advance(5_000);
    assert.equal(await handler, "ok");
    assert.ok(received);
    assert.equal(received.stepName, "fragile");
    assert.ok(received.inputEvent instanceof WorkEvent);
    assert.equal((received.inputEvent as WorkEvent).item, "apple");
    assert.equal(received.error, boom);
    assert.equal(received.attempts, 2);
    assert.equal(received.elapsedSeconds, 5);
    assert.ok(received.failedAt instanceof Date);
    assert.equal(received.failedAt.getTime(), start + 5_000);
  });

  it("publishes no WorkflowFailedEvent when the handler recovers", async () => {
    class Recovering extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async fragile(): Promise<StopEvent> {
        throw new Error("broken");
      }

      @catchError({ emits: StopEvent })
      async recover() {
        return new StopEvent({ result: "fine" });
      }
    }
    const handler = new Recovering({ runtime: runtime() }).run();
    const events = await collect(handler);
    assert.deepEqual(
      events.map((e) => e.constructor),
      [StopEvent],
    );
  });

  it("calls the handler only after the step's retries are spent", async () => {
    const clock = new TestClock();
    const calls: string[] = [];
    class Retried extends Workflow {
      @step({
        accepts: StartEvent,
        emits: StopEvent,
        retry: retryPolicy({ wait: waitFixed(5), stop: stopAfterAttempt(3) }),
      })
      async fragile(): Promise<StopEvent> {
        calls.push("fragile");
        throw new Error("broken");
      }

      @catchError({ emits: StopEvent })
      async recover() {
        calls.push("recover");
        return new StopEvent({ result: "fine" });
      }
    }
    const handler = new Retried({ timeout: null, runtime: runtime(clock) }).run();
    await clock.advance(5_000);
    assert.deepEqual(calls, ["fragile", "fragile"]);
    await clock.advance(5_000);
    assert.equal(await handler, "fine");
    assert.deepEqual(calls, ["fragile", "fragile", "fragile", "recover"]);
  });

  it("lets the handler re-route the work by returning another event", async () => {
    class Rerouting extends Workflow {
      @step({ accepts: StartEvent, emits: WorkEvent })
      async begin() {
        return new WorkEvent({ item: "bad" });
      }

      @step({ accepts: WorkEvent, emits: StopEvent })
      async process(ev: WorkEvent) {
        if (ev.item === "bad") throw new Error("cannot process bad");
        return new StopEvent({ result: `processed ${ev.item}` });
      }

      @catchError({ emits: WorkEvent })
      async recover() {
        return new WorkEvent({ item: "good" });
      }
    }
    assert.equal(await new Rerouting({ runtime: runtime() }).run(), "processed good");
  });

  it("sends a scoped handler's steps to it rather than to the wildcard handler", async () => {
    class Scoped extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async fragile(): Promise<StopEvent> {
        throw new Error("broken");
      }

      @catchError({ forSteps: ["fragile"], emits: StopEvent })
      async scoped() {
        return new StopEvent({ result: "scoped" });
      }

      @catchError({ emits: StopEvent })
      async wildcard() {
        return new StopEvent({ result: "wildcard" });
      }
    }
    assert.equal(await new Scoped({ runtime: runtime() }).run(), "scoped");
  });

  it("sends steps that no scoped handler lists to the wildcard handler", async () => {
    class Scoped extends Workflow {
      @step({ accepts: StartEvent, emits: WorkEvent })
      async begin() {
        return new WorkEvent({ item: "x" });
      }

      @step({ accepts: WorkEvent, emits: StopEvent })
      async other(): Promise<StopEvent> {
        throw new Error("broken");
      }

      @catchError({ forSteps: ["begin"], emits: StopEvent })
      async scoped() {
        return new StopEvent({ result: "scoped" });
      }

      @catchError({ emits: StopEvent })
      async wildcard() {
        return new StopEvent({ result: "wildcard" });
      }
    }
    assert.equal(await new Scoped({ runtime: runtime() }).run(), "wildcard");
  });

  it("leaves failures of steps outside a scoped handler's list uncaught when there is no wildcard", async () => {
    const boom = new Error("not mine");
    class Scoped extends Workflow {
      @step({ accepts: StartEvent, emits: WorkEvent })
      async begin() {
        return new WorkEvent({ item: "x" });
      }

      @step({ accepts: WorkEvent, emits: StopEvent })
      async other(): Promise<StopEvent> {
        throw boom;
      }

      @catchError({ forSteps: ["begin"], emits: StopEvent })
      async scoped() {
        return new StopEvent({ result: "scoped" });
      }
    }
    const handler = new Scoped({ runtime: runtime() }).run();
    await assert.rejects(
      async () => await handler,
      (error: unknown) => error === boom,
    );
  });

  it("recovers re-routed work that fails again while the lineage's budget lasts, then fails the run", async () => {
    const boom = new Error("still broken");
    const calls: string[] = [];
    class Budgeted extends Workflow {
      @step({ accepts: StartEvent, emits: WorkEvent })
      async begin() {
        return new WorkEvent({ item: "first" });
      }

      @step({ accepts: WorkEvent, emits: StopEvent })
      async process(ev: WorkEvent): Promise<StopEvent> {
        calls.push(`process:${ev.item}`);
        throw boom;
      }

      @catchError({ maxRecoveries: 2, emits: WorkEvent })
      async recover(ev: StepFailedEvent) {
        calls.push("recover");
        return new WorkEvent({ item: `after ${(ev.inputEvent as WorkEvent).item}` });
      }
    }
    const handler = new Budgeted({ runtime: runtime() }).run();
    const events = collect(handler);
    await assert.rejects(
      async () => await handler,
      (error: unknown) => error === boom,
    );
    assert.deepEqual(calls, [
      "process:first",
      "recover",
      "process:after first",
      "recover",
      "process:after after first",
    ]);
    const last = (await events).at(-1);
    assert.ok(last instanceof WorkflowFailedEvent);
    assert.equal(last.stepName, "process");
  });

  it("recovers a lineage only once by default", async () => {
    const calls: string[] = [];
    class Once extends Workflow {
      @step({ accepts: StartEvent, emits: WorkEvent })
      async begin() {
        return new WorkEvent({ item: "first" });
      }

      @step({ accepts: WorkEvent, emits: StopEvent })
      async process(): Promise<StopEvent> {
        calls.push("process");
        throw new Error("broken");
      }

      @catchError({ emits: WorkEvent })
      async recover() {
        calls.push("recover");
        return new WorkEvent({ item: "again" });
      }
    }
    const handler = new Once({ runtime: runtime() }).run();
    await assert.rejects(async () => await handler, /broken/);
    assert.deepEqual(calls, ["process", "recover", "process"]);
  });

  it("counts recoveries of work the handler re-routes with ctx.sendEvent", async () => {
    const calls: string[] = [];
    class Sending extends Workflow {
      @step({ accepts: StartEvent, emits: WorkEvent })
      async begin() {
        return new WorkEvent({ item: "first" });
      }

      @step({ accepts: WorkEvent, emits: StopEvent })
      async process(): Promise<StopEvent> {
        calls.push("process");
        throw new Error("broken");
      }

      @catchError({ emits: WorkEvent })
      async recover(_ev: StepFailedEvent, ctx: Context) {
        calls.push("recover");
        ctx.sendEvent(new WorkEvent({ item: "again" }));
        return null;
      }
    }
    const handler = new Sending({ runtime: runtime() }).run();
    await assert.rejects(async () => await handler, /broken/);
    assert.deepEqual(calls, ["process", "recover", "process"]);
  });

  it("gives each event lineage its own recovery budget", async () => {
    const recovered: string[] = [];
    class Lineages extends Workflow {
      @step({ accepts: StartEvent, emits: WorkEvent })
      async begin(_ev: StartEvent, ctx: Context) {
        ctx.sendEvent(new WorkEvent({ item: "a" }));
        ctx.sendEvent(new WorkEvent({ item: "b" }));
        return null;
      }

      @step({ accepts: WorkEvent, emits: StopEvent })
      async process(ev: WorkEvent): Promise<StopEvent> {
        throw new Error(`broken ${ev.item}`);
      }

      @catchError({ emits: StopEvent })
      async recover(ev: StepFailedEvent) {
        recovered.push((ev.inputEvent as WorkEvent).item);
        if (recovered.length < 2) return null;
        return new StopEvent({ result: recovered.join(",") });
      }
    }
    assert.equal(await new Lineages({ runtime: runtime() }).run(), "a,b");
  });

  it("does not catch the handler's own failure: the run fails naming the handler", async () => {
    const handlerError = new Error("handler broke too");
    class Failing extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async fragile(): Promise<StopEvent> {
        throw new Error("broken");
      }

      @catchError({ emits: StopEvent })
      async recover(): Promise<StopEvent> {
        throw handlerError;
      }
    }
    const handler = new Failing({ runtime: runtime() }).run();
    const events = collect(handler);
    await assert.rejects(
      async () => await handler,
      (error: unknown) => error === handlerError,
    );
    const last = (await events).at(-1);
    assert.ok(last instanceof WorkflowFailedEvent);
    assert.equal(last.stepName, "recover");
    assert.equal(last.error, handlerError);
  });

  it("works as a function step with `catchError` options in `addStep`", async () => {
    const wf = new Workflow({ runtime: runtime() })
      .addStep(
        "fragile",
        { accepts: StartEvent, emits: StopEvent },
        async (): Promise<StopEvent> => {
          throw new Error("broken");
        },
      )
      .addStep(
        "recover",
        {
          accepts: StepFailedEvent,
          emits: StopEvent,
          catchError: { forSteps: ["fragile"], maxRecoveries: 1 },
        },
        async (ev) => new StopEvent({ result: `function handler saw ${ev.stepName}` }),
      );
    assert.equal(await wf.run(), "function handler saw fragile");
  });
});

describe("@catchError validation", () => {
  it("rejects two wildcard handlers, naming both", () => {
    class TwoWildcards extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async only() {
        return new StopEvent();
      }

      @catchError({ emits: StopEvent })
      async first() {
        return new StopEvent();
      }

      @catchError({ emits: StopEvent })
      async second() {
        return new StopEvent();
      }
    }
    assertInvalid(() => new TwoWildcards(), /one wildcard.*found 2.*first.*second/s);
  });

  it("rejects a handler whose `forSteps` lists an unknown step, naming it", () => {
    class Unknown extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async only() {
        return new StopEvent();
      }

      @catchError({ forSteps: ["nope"], emits: StopEvent })
      async handler() {
        return new StopEvent();
      }
    }
    assertInvalid(() => new Unknown(), /unknown step `?nope`?/);
  });

  it("rejects a handler whose `forSteps` names another handler", () => {
    class Covering extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async only() {
        return new StopEvent();
      }

      @catchError({ forSteps: ["only"], emits: StopEvent })
      async inner() {
        return new StopEvent();
      }

      @catchError({ forSteps: ["inner"], emits: StopEvent })
      async outer() {
        return new StopEvent();
      }
    }
    assertInvalid(() => new Covering(), /cannot cover another handler step `?inner`?/);
  });

  it("rejects a step claimed by two handlers, naming the step and both handlers", () => {
    class Claimed extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async only() {
        return new StopEvent();
      }

      @catchError({ forSteps: ["only"], emits: StopEvent })
      async h1() {
        return new StopEvent();
      }

      @catchError({ forSteps: ["only"], emits: StopEvent })
      async h2() {
        return new StopEvent();
      }
    }
    assertInvalid(() => new Claimed(), /`?only`? is claimed by two .*`?h1`?.*`?h2`?/);
  });

  it("rejects `maxRecoveries: 0`", () => {
    class Zero extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async only() {
        return new StopEvent();
      }

      @catchError({ maxRecoveries: 0, emits: StopEvent })
      async handler() {
        return new StopEvent();
      }
    }
    assertInvalid(() => new Zero(), /maxRecoveries.*must be an integer >= 1; got 0/);
  });

  it("rejects a function handler that does not accept StepFailedEvent", () => {
    assertInvalid(
      () =>
        new Workflow()
          .addStep("only", { accepts: StartEvent, emits: StopEvent }, () => new StopEvent())
          .addStep(
            "handler",
            { accepts: WorkEvent, emits: StopEvent, catchError: {} },
            () => new StopEvent(),
          ),
      /`?handler`? must accept StepFailedEvent/,
    );
  });

  it("rejects bad `catchError` options given to `addStep`", () => {
    assertInvalid(
      () =>
        new Workflow()
          .addStep("only", { accepts: StartEvent, emits: StopEvent }, () => new StopEvent())
          .addStep(
            "handler",
            { accepts: StepFailedEvent, emits: StopEvent, catchError: { forSteps: ["ghost"] } },
            () => new StopEvent(),
          ),
      /unknown step `?ghost`?/,
    );
  });
});
