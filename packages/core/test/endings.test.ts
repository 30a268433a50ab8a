import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Event,
  InMemoryRuntime,
  StartEvent,
  StopEvent,
  TestClock,
  Workflow,
  WorkflowCancelledError,
  WorkflowCancelledEvent,
  WorkflowFailedEvent,
  WorkflowRuntimeError,
  WorkflowTimedOutEvent,
  WorkflowTimeoutError,
} from "@stepwise/core";

const typeOf = (ev: Event) => (ev.constructor as typeof Event).eventType;

/** A workflow whose only step waits until the run ends. */
function stuck(options: { timeout?: number | null; clock?: TestClock } = {}) {
  const runtime = options.clock ? new InMemoryRuntime({ clock: options.clock }) : undefined;
  return new Workflow({
    timeout: options.timeout === undefined ? 60 : options.timeout,
    runtime,
  }).addStep("hang", { accepts: StartEvent, emits: StopEvent }, async (_ev, ctx) => {
    await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
    return new StopEvent();
  });
}

async function drain(stream: AsyncIterable<Event>): Promise<Event[]> {
  const events: Event[] = [];
  for await (const ev of stream) events.push(ev);
  return events;
}

describe("timeouts of many runs", () => {
  it("times out each run at its own deadline when runs share a clock", async () => {
    const clock = new TestClock();
    const wf = stuck({ clock, timeout: 10 });
    const first = wf.run();
    await clock.advance(5_000);
    const second = wf.run();
    await clock.advance(5_000);
    await assert.rejects(first, WorkflowTimeoutError);
    assert.equal(second.isDone(), false);
    await clock.advance(4_999);
    assert.equal(second.isDone(), false);
    await clock.advance(1);
    await assert.rejects(second, WorkflowTimeoutError);
  });

  it("keeps one clock timer for the timeouts of runs in progress, and none once they end", async () => {
    const clock = new TestClock();
    const wf = stuck({ clock, timeout: 10 });
    const handlers = Array.from({ length: 100 }, () => wf.run());
    await clock.advance(0);
    assert.equal(clock.pendingTimers, 1);
    for (const handler of handlers.slice(0, 99)) await handler.cancel();
    await clock.advance(0);
    assert.equal(clock.pendingTimers, 1);
    await handlers[99]?.cancel();
    await clock.advance(0);
    assert.equal(clock.pendingTimers, 0);
    for (const handler of handlers) await assert.rejects(handler, WorkflowCancelledError);
  });

  it("does not time out a run that ended before its deadline, whatever the others do", async () => {
    const clock = new TestClock();
    const quick = new Workflow({ timeout: 10, runtime: new InMemoryRuntime({ clock }) }).addStep(
      "only",
      { accepts: StartEvent, emits: StopEvent },
      () => new StopEvent({ result: "done" }),
    );
    const slow = stuck({ clock, timeout: 20 });
    const waiting = slow.run();
    assert.equal(await quick.run(), "done");
    await clock.advance(10_000);
    assert.equal(waiting.isDone(), false);
    await clock.advance(10_000);
    await assert.rejects(waiting, WorkflowTimeoutError);
  });
});

describe("timeout", () => {
  it("defaults to 60 seconds", () => {
    assert.equal(stuck().timeout, 60);
  });

  it("publishes WorkflowTimedOutEvent and rejects with WorkflowTimeoutError naming the active steps", async () => {
    const clock = new TestClock();
    const handler = stuck({ clock }).run();
    const events = drain(handler.streamEvents());
    await clock.advance(59_999);
    assert.equal(handler.isDone(), false);
    await clock.advance(1);
    await assert.rejects(handler, (error: unknown) => {
      assert.ok(error instanceof WorkflowTimeoutError);
      assert.match(
        error.message,
        /Operation timed out after 60 seconds. Currently active steps: hang/,
      );
      assert.deepEqual(error.activeSteps, ["hang"]);
      assert.equal(error.timeout, 60);
      return true;
    });
    const last = (await events).at(-1);
    assert.ok(last instanceof WorkflowTimedOutEvent);
    assert.equal(last.timeout, 60);
    assert.deepEqual(last.activeSteps, ["hang"]);
  });

  it("says no steps are active when the run waits on nothing", async () => {
    const clock = new TestClock();
    class Never extends Event.define({}) {}
    const wf = new Workflow({
      timeout: 1,
      runtime: new InMemoryRuntime({ clock }),
      validate: false,
    }).addStep("start", { accepts: StartEvent, emits: StopEvent }, () => null);
    wf.addStep("never", { accepts: Never, emits: StopEvent }, () => new StopEvent());
    const handler = wf.run();
    await clock.advance(1000);
    await assert.rejects(handler, /No steps active/);
  });

  it("never times out with timeout: null", async () => {
    const clock = new TestClock();
    const handler = stuck({ clock, timeout: null }).run();
    await clock.advance(10 * 24 * 3600 * 1000);
    assert.equal(handler.isDone(), false);
    await handler.cancel();
  });

  it("aborts the running steps' ctx.signal", async () => {
    const clock = new TestClock();
    let aborted = false;
    const wf = new Workflow({ timeout: 1, runtime: new InMemoryRuntime({ clock }) }).addStep(
      "hang",
      { accepts: StartEvent, emits: StopEvent },
      async (_ev, ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        aborted = true;
        return new StopEvent();
      },
    );
    const handler = wf.run();
    await clock.advance(1000);
    await assert.rejects(handler, WorkflowTimeoutError);
    assert.equal(aborted, true);
  });
});

describe("cancel()", () => {
  it("publishes WorkflowCancelledEvent, ends the stream and rejects with WorkflowCancelledError", async () => {
    const handler = stuck().run();
    const events = drain(handler.streamEvents());
    await new Promise((resolve) => setTimeout(resolve, 0));
    await handler.cancel();
    await assert.rejects(handler, WorkflowCancelledError);
    const all = await events;
    assert.ok(all.at(-1) instanceof WorkflowCancelledEvent);
    assert.equal(handler.isDone(), true);
  });

  it("does nothing to a run that has ended", async () => {
    const wf = new Workflow().addStep(
      "go",
      { accepts: StartEvent, emits: StopEvent },
      () => new StopEvent({ result: 1 }),
    );
    const handler = wf.run();
    assert.equal(await handler, 1);
    await handler.cancel();
    assert.equal(await handler, 1);
  });
});

describe("a failing step", () => {
  it("re-throws the step's own error unchanged and ends the stream with WorkflowFailedEvent", async () => {
    class Boom extends Error {}
    const boom = new Boom("boom");
    const wf = new Workflow().addStep(
      "explode",
      { accepts: StartEvent, emits: StopEvent },
      async () => {
        throw boom;
      },
    );
    const handler = wf.run();
    const events = drain(handler.streamEvents());
    await assert.rejects(handler, (error) => error === boom);
    const last = (await events).at(-1);
    assert.ok(last instanceof WorkflowFailedEvent);
    assert.equal(last.stepName, "explode");
    assert.equal(last.error, boom);
    assert.equal(last.attempts, 1);
  });

  it("fails the same way when a sync step throws", async () => {
    const wf = new Workflow().addStep("explode", { accepts: StartEvent, emits: StopEvent }, () => {
      throw new TypeError("sync boom");
    });
    await assert.rejects(wf.run(), /sync boom/);
  });

  it("turns a thrown non-error into an Error", async () => {
    const wf = new Workflow().addStep("explode", { accepts: StartEvent, emits: StopEvent }, () => {
      throw "just a string";
    });
    await assert.rejects(wf.run(), /Non-error value thrown: just a string/);
  });

  it("fails with WorkflowRuntimeError naming the step when it returns a non-event", async () => {
    const wf = new Workflow().addStep("wrong", { accepts: StartEvent, emits: StopEvent }, (() => ({
      result: 1,
    })) as never);
    await assert.rejects(wf.run(), (error: unknown) => {
      assert.ok(error instanceof WorkflowRuntimeError);
      assert.match(
        error.message,
        /Step `wrong` returned a plain object instead of an Event instance/,
      );
      return true;
    });
  });

  it("raises no unhandled rejection when nobody awaits the handler", async () => {
    const seen: unknown[] = [];
    const listener = (reason: unknown) => seen.push(reason);
    process.on("unhandledRejection", listener);
    try {
      const wf = new Workflow().addStep(
        "explode",
        { accepts: StartEvent, emits: StopEvent },
        async () => {
          throw new Error("ignored");
        },
      );
      const handler = wf.run();
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(handler.isDone(), true);
    } finally {
      process.off("unhandledRejection", listener);
    }
    assert.deepEqual(seen, []);
  });

  it("ends a consumer's stream loop even though the run failed", async () => {
    const wf = new Workflow().addStep(
      "explode",
      { accepts: StartEvent, emits: StopEvent },
      async () => {
        throw new Error("x");
      },
    );
    const handler = wf.run();
    const types = (await drain(handler.streamEvents())).map(typeOf);
    assert.deepEqual(types, ["WorkflowFailedEvent"]);
    await assert.rejects(handler);
  });
});
