import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Context,
  Event,
  HumanResponseEvent,
  InMemoryRuntime,
  type RetryInfo,
  retryIfErrorType,
  retryPolicy,
  StartEvent,
  StopEvent,
  step,
  stopAfterAttempt,
  TestClock,
  Workflow,
  WorkflowFailedEvent,
  type WorkflowHandler,
  WorkflowIdleEvent,
  WorkflowRuntimeError,
  waitFixed,
} from "@stepwise/core";
import { z } from "zod";

class WorkEvent extends Event.define({ n: z.number() }) {}
class SideEvent extends Event.define({}) {}
class AEvent extends Event.define({ n: z.number() }) {}
class BEvent extends Event.define({ n: z.number() }) {}
class NextEvent extends Event.define({}) {}
class ReplyEvent extends HumanResponseEvent.define({ text: z.string() }) {}
const PAIR = [AEvent, BEvent] as const;
class TransientError extends Error {
  override readonly name = "TransientError";
}

/** Collects every published event of a run, in order, until the stream ends. */
async function collect(handler: WorkflowHandler, includeInternal = false): Promise<Event[]> {
  const events: Event[] = [];
  for await (const ev of handler.streamEvents({ includeInternal })) events.push(ev);
  return events;
}

/** A workflow whose only step fails `failures` times, then stops with "ok". */
function flakyWorkflow(clock: TestClock, failures: number, calls: { count: number }) {
  class Flaky extends Workflow {
    @step({
      accepts: StartEvent,
      emits: StopEvent,
      retry: retryPolicy({ wait: waitFixed(5), stop: stopAfterAttempt(3) }),
    })
    async flaky() {
      calls.count++;
      if (calls.count <= failures) throw new Error(`failure ${calls.count}`);
      return new StopEvent({ result: "ok" });
    }
  }
  return new Flaky({ timeout: null, runtime: new InMemoryRuntime({ clock }) });
}

describe("retry policies in a run", () => {
  it("retries a failed step only once the policy's delay has passed", async () => {
    const clock = new TestClock();
    const calls = { count: 0 };
    const handler = flakyWorkflow(clock, 1, calls).run();
    await clock.advance(0);
    assert.equal(calls.count, 1);
    await clock.advance(4_999);
    assert.equal(calls.count, 1);
    assert.equal(handler.isDone(), false);
    await clock.advance(1);
    assert.equal(calls.count, 2);
    assert.equal(await handler, "ok");
  });

  it("succeeds on the last allowed attempt", async () => {
    const clock = new TestClock();
    const calls = { count: 0 };
    const handler = flakyWorkflow(clock, 2, calls).run();
    await clock.advance(10_000);
    assert.equal(handler.isDone(), true);
    assert.equal(await handler, "ok");
    assert.equal(calls.count, 3);
  });

  it("passes the policy an attempt count that grows with every failure and never resets", async () => {
    const clock = new TestClock();
    const seen: number[] = [];
    class Counting extends Workflow {
      @step({
        accepts: StartEvent,
        emits: StopEvent,
        retry: retryPolicy({
          wait: waitFixed(1),
          stop: (state) => {
            seen.push(state.attempts);
            return state.attempts >= 4;
          },
        }),
      })
      async fail(): Promise<StopEvent> {
        throw new Error("always");
      }
    }
    const handler = new Counting({ timeout: null, runtime: new InMemoryRuntime({ clock }) }).run();
    await clock.advance(10_000);
    await assert.rejects(async () => await handler, /always/);
    assert.deepEqual(seen, [1, 2, 3, 4]);
  });

  it("gives the step its retry number, elapsed seconds, last error and last failure time", async () => {
    const start = 1_700_000_000_000;
    const clock = new TestClock(start);
    const infos: RetryInfo[] = [];
    const errors = [new Error("first"), new Error("second")];
    class Informed extends Workflow {
      @step({
        accepts: StartEvent,
        emits: StopEvent,
        retry: retryPolicy({ wait: waitFixed(5), stop: stopAfterAttempt(3) }),
      })
      async informed(_ev: StartEvent, ctx: Context) {
        infos.push(ctx.retryInfo());
        const error = errors[infos.length - 1];
        if (error) throw error;
        return new StopEvent({ result: "done" });
      }
    }
    const handler = new Informed({ timeout: null, runtime: new InMemoryRuntime({ clock }) }).run();
    await clock.advance(10_000);
    assert.equal(await handler, "done");
    assert.deepEqual(
      infos.map((i) => [i.retryNumber, i.elapsedSeconds, i.lastError, i.lastFailedAt?.getTime()]),
      [
        [0, 0, null, undefined],
        [1, 5, errors[0], start],
        [2, 10, errors[1], start + 5_000],
      ],
    );
  });

  it("keeps other steps running while one step waits to retry", async () => {
    const clock = new TestClock();
    const order: string[] = [];
    class Parallel extends Workflow {
      @step({ accepts: StartEvent, emits: [WorkEvent, SideEvent] })
      async fanOut(_ev: StartEvent, ctx: Context) {
        ctx.sendEvent(new WorkEvent({ n: 1 }));
        ctx.sendEvent(new SideEvent());
        return null;
      }

      @step({
        accepts: WorkEvent,
        emits: StopEvent,
        retry: retryPolicy({ wait: waitFixed(5), stop: stopAfterAttempt(3) }),
      })
      async slow() {
        order.push("slow");
        if (order.filter((s) => s === "slow").length === 1) throw new Error("not yet");
        return new StopEvent({ result: order.join(",") });
      }

      @step({ accepts: SideEvent })
      async side() {
        order.push("side");
      }
    }
    const handler = new Parallel({ timeout: null, runtime: new InMemoryRuntime({ clock }) }).run();
    await clock.advance(0);
    assert.deepEqual(order, ["slow", "side"]);
    assert.equal(handler.isDone(), false);
    await clock.advance(5_000);
    assert.equal(await handler, "slow,side,slow");
  });

  it("frees the worker while an input waits to retry, so the step's other inputs run", async () => {
    const clock = new TestClock();
    const order: number[] = [];
    class OneWorker extends Workflow {
      @step({ accepts: StartEvent, emits: WorkEvent })
      async fanOut(_ev: StartEvent, ctx: Context) {
        ctx.sendEvent(new WorkEvent({ n: 1 }));
        ctx.sendEvent(new WorkEvent({ n: 2 }));
        return null;
      }

      @step({
        accepts: WorkEvent,
        emits: StopEvent,
        numWorkers: 1,
        retry: retryPolicy({ wait: waitFixed(5), stop: stopAfterAttempt(2) }),
      })
      async work(ev: WorkEvent) {
        order.push(ev.n);
        if (order.length === 1) throw new Error("first input fails once");
        return order.length === 3 ? new StopEvent({ result: order.join(",") }) : null;
      }
    }
    const handler = new OneWorker({ timeout: null, runtime: new InMemoryRuntime({ clock }) }).run();
    await clock.advance(0);
    assert.deepEqual(order, [1, 2]);
    await clock.advance(5_000);
    assert.equal(await handler, "1,2,1");
  });

  it("retries the failed event at the failed step only, not at other steps that accept it", async () => {
    const clock = new TestClock();
    const calls = { failing: 0, steady: 0 };
    class Shared extends Workflow {
      @step({ accepts: StartEvent, emits: WorkEvent })
      async begin() {
        return new WorkEvent({ n: 1 });
      }

      @step({
        accepts: WorkEvent,
        emits: StopEvent,
        retry: retryPolicy({ wait: waitFixed(5), stop: stopAfterAttempt(2) }),
      })
      async failing() {
        calls.failing++;
        if (calls.failing === 1) throw new Error("once");
        return new StopEvent({ result: "recovered" });
      }

      @step({ accepts: WorkEvent })
      async steady() {
        calls.steady++;
      }
    }
    const handler = new Shared({ timeout: null, runtime: new InMemoryRuntime({ clock }) }).run();
    await clock.advance(5_000);
    assert.equal(await handler, "recovered");
    assert.deepEqual(calls, { failing: 2, steady: 1 });
  });

  it("does not retry a step that has no retry policy", async () => {
    const calls = { count: 0 };
    class NoPolicy extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async once(): Promise<StopEvent> {
        calls.count++;
        throw new Error("no second chance");
      }
    }
    const clock = new TestClock();
    const handler = new NoPolicy({ runtime: new InMemoryRuntime({ clock }) }).run();
    await assert.rejects(async () => await handler, /no second chance/);
    assert.equal(calls.count, 1);
  });

  it("re-throws the step's own error, unchanged, from `await handler` once retries are spent", async () => {
    const clock = new TestClock();
    const boom = new TransientError("boom");
    class Exhausted extends Workflow {
      @step({
        accepts: StartEvent,
        emits: StopEvent,
        retry: retryPolicy({ wait: waitFixed(5), stop: stopAfterAttempt(3) }),
      })
      async exhausted(): Promise<StopEvent> {
        throw boom;
      }
    }
    const handler = new Exhausted({ timeout: null, runtime: new InMemoryRuntime({ clock }) }).run();
    await clock.advance(10_000);
    await assert.rejects(
      async () => await handler,
      (error: unknown) => error === boom,
    );
  });

  it("ends the stream with a WorkflowFailedEvent naming the step, error, attempts and elapsed seconds", async () => {
    const clock = new TestClock();
    const boom = new Error("boom");
    class Exhausted extends Workflow {
      @step({
        accepts: StartEvent,
        emits: StopEvent,
        retry: retryPolicy({ wait: waitFixed(5), stop: stopAfterAttempt(3) }),
      })
      async exhausted(): Promise<StopEvent> {
        throw boom;
      }
    }
    const handler = new Exhausted({ timeout: null, runtime: new InMemoryRuntime({ clock }) }).run();
    const events = collect(handler);
    await clock.advance(10_000);
    await assert.rejects(async () => await handler);
    const last = (await events).at(-1);
    assert.ok(last instanceof WorkflowFailedEvent);
    assert.equal(last.stepName, "exhausted");
    assert.equal(last.error, boom);
    assert.equal(last.attempts, 3);
    assert.equal(last.elapsedSeconds, 10);
  });

  it("retries an error whose type `retryIfErrorType` names", async () => {
    const clock = new TestClock();
    const calls = { count: 0 };
    class Selective extends Workflow {
      @step({
        accepts: StartEvent,
        emits: StopEvent,
        retry: retryPolicy({
          retry: retryIfErrorType(TransientError),
          wait: waitFixed(1),
          stop: stopAfterAttempt(5),
        }),
      })
      async selective() {
        calls.count++;
        if (calls.count === 1) throw new TransientError("try again");
        return new StopEvent({ result: "second time lucky" });
      }
    }
    const handler = new Selective({ timeout: null, runtime: new InMemoryRuntime({ clock }) }).run();
    await clock.advance(1_000);
    assert.equal(await handler, "second time lucky");
    assert.equal(calls.count, 2);
  });

  it("fails at once on an error whose type `retryIfErrorType` does not name", async () => {
    const clock = new TestClock();
    const calls = { count: 0 };
    const fatal = new TypeError("fatal");
    class Selective extends Workflow {
      @step({
        accepts: StartEvent,
        emits: StopEvent,
        retry: retryPolicy({
          retry: retryIfErrorType(TransientError),
          wait: waitFixed(1),
          stop: stopAfterAttempt(5),
        }),
      })
      async selective(): Promise<StopEvent> {
        calls.count++;
        throw fatal;
      }
    }
    const handler = new Selective({ timeout: null, runtime: new InMemoryRuntime({ clock }) }).run();
    await clock.advance(0);
    await assert.rejects(
      async () => await handler,
      (error: unknown) => error === fatal,
    );
    assert.equal(calls.count, 1);
  });

  it("fails a step that returns a non-event with a WorkflowRuntimeError naming the step", async () => {
    const clock = new TestClock();
    class NonEvent extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async sloppy() {
        return "not an event" as unknown as StopEvent;
      }
    }
    const handler = new NonEvent({ runtime: new InMemoryRuntime({ clock }) }).run();
    await assert.rejects(
      async () => await handler,
      (error: unknown) => error instanceof WorkflowRuntimeError && /`sloppy`/.test(error.message),
    );
  });

  it("retries a step that returned a non-event, like any other failure", async () => {
    const clock = new TestClock();
    const calls = { count: 0 };
    class NonEvent extends Workflow {
      @step({
        accepts: StartEvent,
        emits: StopEvent,
        retry: retryPolicy({ wait: waitFixed(1), stop: stopAfterAttempt(2) }),
      })
      async sloppy() {
        calls.count++;
        if (calls.count === 1) return { result: "plain object" } as unknown as StopEvent;
        return new StopEvent({ result: "event" });
      }
    }
    const handler = new NonEvent({ timeout: null, runtime: new InMemoryRuntime({ clock }) }).run();
    await clock.advance(1_000);
    assert.equal(await handler, "event");
    assert.equal(calls.count, 2);
  });
  it("does not report the run idle while a retry is pending", async () => {
    const clock = new TestClock();
    const calls = { count: 0 };
    const handler = flakyWorkflow(clock, 1, calls).run();
    const events = collect(handler, true);
    await clock.advance(0);
    await clock.advance(0);
    await clock.advance(5_000);
    assert.equal(await handler, "ok");
    assert.equal(
      (await events).some((ev) => ev instanceof WorkflowIdleEvent),
      false,
    );
  });

  it("retries a step whose waitForEvent timed out, and the retry waits again", async () => {
    const clock = new TestClock();
    const calls = { count: 0 };
    class Waiting extends Workflow {
      @step({
        accepts: StartEvent,
        emits: StopEvent,
        retry: retryPolicy({ wait: waitFixed(5), stop: stopAfterAttempt(2) }),
      })
      async waiting(_ev: StartEvent, ctx: Context) {
        calls.count++;
        const reply = await ctx.waitForEvent(ReplyEvent, { timeout: 10 });
        return new StopEvent({ result: reply.text });
      }
    }
    const handler = new Waiting({ timeout: null, runtime: new InMemoryRuntime({ clock }) }).run();
    await clock.advance(15_000);
    assert.equal(handler.isDone(), false);
    handler.sendEvent(new ReplyEvent({ text: "in time for the retry" }));
    assert.equal(await handler, "in time for the retry");
  });

  it("keeps a collecting step's buffer free of duplicates when the step retries", async () => {
    const clock = new TestClock();
    const pairs: string[] = [];
    let failed = false;
    class Pairing extends Workflow {
      @step({ accepts: StartEvent, emits: [AEvent, BEvent] })
      async first(_ev: StartEvent, ctx: Context) {
        ctx.sendEvent(new AEvent({ n: 1 }));
        ctx.sendEvent(new BEvent({ n: 1 }));
        return null;
      }

      @step({ accepts: NextEvent, emits: [AEvent, BEvent] })
      async second(_ev: NextEvent, ctx: Context) {
        ctx.sendEvent(new AEvent({ n: 2 }));
        ctx.sendEvent(new BEvent({ n: 2 }));
        return null;
      }

      @step({
        accepts: [AEvent, BEvent],
        emits: [NextEvent, StopEvent],
        retry: retryPolicy({ wait: waitFixed(1), stop: stopAfterAttempt(2) }),
      })
      async pair(ev: AEvent | BEvent, ctx: Context) {
        const got = ctx.collectEvents(ev, PAIR);
        if (!got) return null;
        if (!failed) {
          failed = true;
          throw new Error("fails once with a full pair");
        }
        pairs.push(`A${got[0].n}+B${got[1].n}`);
        return pairs.length === 1 ? new NextEvent() : new StopEvent({ result: pairs.join(",") });
      }
    }
    const handler = new Pairing({ timeout: null, runtime: new InMemoryRuntime({ clock }) }).run();
    await clock.advance(1_000);
    assert.equal(await handler, "A1+B1,A2+B2");
  });
});
