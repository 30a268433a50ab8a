import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Context,
  type ContextSnapshot,
  catchError,
  Event,
  HumanResponseEvent,
  InMemoryRuntime,
  InputRequiredEvent,
  type RetryInfo,
  retryPolicy,
  SnapshotError,
  StartEvent,
  type StepFailedEvent,
  StopEvent,
  type StoreSerializer,
  step,
  stopAfterAttempt,
  TestClock,
  Workflow,
  type WorkflowHandler,
  WorkflowRuntimeError,
  WorkflowTimeoutError,
  waitFixed,
} from "@stepwise/core";
import { z } from "zod";

class QuestionEvent extends InputRequiredEvent.define({ prompt: z.string() }) {}
class AnswerEvent extends HumanResponseEvent.define({ text: z.string() }) {}
class WorkEvent extends Event.define({ id: z.number() }) {}
class DoneEvent extends Event.define({ id: z.number() }) {}
class PartEvent extends Event.define({ value: z.number() }) {}
class SlowEvent extends Event.define({}) {}
class AEvent extends Event.define({ n: z.number() }) {}
class BEvent extends Event.define({ n: z.number() }) {}
class NextEvent extends Event.define({}) {}

const NEVER = new Promise<never>(() => {});
const DONE_PAIR = [DoneEvent, DoneEvent] as const;
const THREE_PARTS = [PartEvent, PartEvent, PartEvent] as const;
const PAIR = [AEvent, BEvent] as const;

function runtime(clock = new TestClock()) {
  return new InMemoryRuntime({ clock });
}

/** A snapshot as it comes back from storage: through real JSON. */
function roundTrip(handler: WorkflowHandler | Context): ContextSnapshot {
  const ctx = handler instanceof Context ? handler : handler.ctx;
  return JSON.parse(JSON.stringify(ctx.toJSON()));
}

/**
 * Snapshots a running run through JSON, cancels it, and resumes the snapshot in a new workflow
 * instance, as a restarted process would.
 */
async function resumeElsewhere(
  handler: WorkflowHandler,
  make: () => Workflow,
): Promise<{ resumed: WorkflowHandler }> {
  const snapshot = roundTrip(handler);
  await handler.cancel();
  const wf = make();
  // Wrapped: a handler is a thenable, so returning it bare would await the whole run.
  return { resumed: wf.run(undefined, { ctx: Context.fromJSON(wf, snapshot) }) };
}

/** Asks a question (a returned InputRequiredEvent), then stops with the answer; logs each step. */
function interviewWorkflow(calls: string[]) {
  class Interview extends Workflow {
    @step({ accepts: StartEvent, emits: QuestionEvent })
    async ask(ev: StartEvent, ctx: Context) {
      calls.push("ask");
      await ctx.store.set("greeting", `hello ${ev.who}`);
      return new QuestionEvent({ prompt: "Your name?" });
    }

    @step({ accepts: AnswerEvent, emits: StopEvent })
    async record(ev: AnswerEvent, ctx: Context) {
      calls.push("record");
      return new StopEvent({ result: `${ctx.store.get("greeting")}, ${ev.text}` });
    }
  }
  return new Interview({ runtime: runtime() });
}

/** Runs the interview until it asks its question; returns the handler and a JSON snapshot. */
async function pausedInterview(calls: string[]) {
  const handler = interviewWorkflow(calls).run({ who: "world" });
  for await (const ev of handler.streamEvents()) {
    if (ev instanceof QuestionEvent) break;
  }
  const snapshot = roundTrip(handler);
  await handler.cancel();
  return snapshot;
}

/** Fans two WorkEvents into a one-worker step whose first attempt at id 1 never ends. */
function queueWorkflow(calls: string[], clock = new TestClock()) {
  class Queued extends Workflow {
    @step({ accepts: StartEvent, emits: WorkEvent })
    async begin(_ev: StartEvent, ctx: Context) {
      calls.push("begin");
      ctx.sendEvent(new WorkEvent({ id: 1 }));
      ctx.sendEvent(new WorkEvent({ id: 2 }));
      return null;
    }

    @step({ accepts: WorkEvent, emits: DoneEvent, numWorkers: 1 })
    async work(ev: WorkEvent) {
      calls.push(`work:${ev.id}`);
      if (calls.filter((c) => c === "work:1").length === 1) await NEVER;
      return new DoneEvent({ id: ev.id });
    }

    @step({ accepts: DoneEvent, emits: StopEvent })
    async gather(ev: DoneEvent, ctx: Context) {
      const both = ctx.collectEvents(ev, DONE_PAIR);
      if (!both) return null;
      return new StopEvent({ result: both.map((d) => d.id).join(",") });
    }
  }
  return new Queued({ runtime: runtime(clock) });
}

describe("context snapshots", () => {
  it("takes a JSON snapshot mid-run, while the run waits for human input", async () => {
    const handler = interviewWorkflow([]).run({ who: "world" });
    for await (const ev of handler.streamEvents()) {
      if (ev instanceof QuestionEvent) break;
    }
    const snapshot = handler.ctx.toJSON();
    assert.deepEqual(JSON.parse(JSON.stringify(snapshot)), snapshot);
    assert.equal(snapshot.workflow, "Interview");
    assert.equal(snapshot.status, "running");
    assert.equal(snapshot.runId, handler.runId);
    await handler.cancel();
  });

  it("takes a snapshot after the run has ended, with the final store", async () => {
    const handler = interviewWorkflow([]).run({ who: "world" });
    for await (const ev of handler.streamEvents()) {
      if (ev instanceof QuestionEvent) handler.sendEvent(new AnswerEvent({ text: "Ada" }));
    }
    await handler;
    const snapshot = roundTrip(handler);
    assert.equal(snapshot.status, "completed");
    assert.equal(
      Context.fromJSON(interviewWorkflow([]), snapshot).store.get("greeting"),
      "hello world",
    );
  });

  it("resumes a run paused for human input in a new workflow instance, without re-running finished steps", async () => {
    const calls: string[] = [];
    const snapshot = await pausedInterview(calls);
    const wf = interviewWorkflow(calls);
    const handler = wf.run(undefined, { ctx: Context.fromJSON(wf, snapshot) });
    handler.sendEvent(new AnswerEvent({ text: "Ada" }));
    assert.equal(await handler, "hello world, Ada");
    assert.deepEqual(calls, ["ask", "record"]);
  });

  it("keeps the run id when it resumes a run", async () => {
    const handler = interviewWorkflow([]).run({ who: "world" }, { runId: "run-42" });
    for await (const ev of handler.streamEvents()) {
      if (ev instanceof QuestionEvent) break;
    }
    const snapshot = roundTrip(handler);
    await handler.cancel();
    const wf = interviewWorkflow([]);
    const resumed = wf.run(undefined, { ctx: Context.fromJSON(wf, snapshot) });
    assert.equal(resumed.runId, "run-42");
    await resumed.cancel();
  });

  it("resumes from a snapshot taken after the run was cancelled", async () => {
    const calls: string[] = [];
    const first = interviewWorkflow(calls).run({ who: "world" });
    for await (const ev of first.streamEvents()) {
      if (ev instanceof QuestionEvent) break;
    }
    await first.cancel();
    const snapshot = roundTrip(first);
    const wf = interviewWorkflow(calls);
    const handler = wf.run(undefined, { ctx: Context.fromJSON(wf, snapshot) });
    handler.sendEvent(new AnswerEvent({ text: "Ada" }));
    assert.equal(await handler, "hello world, Ada");
    assert.deepEqual(calls, ["ask", "record"]);
  });

  it("restores the store", async () => {
    const snapshot = await pausedInterview([]);
    const ctx = Context.fromJSON(interviewWorkflow([]), snapshot);
    assert.equal(ctx.store.get("greeting"), "hello world");
  });

  it("runs in-flight and queued events again on resume, and finished steps not again", async () => {
    const calls: string[] = [];
    const clock = new TestClock();
    const handler = queueWorkflow(calls, clock).run();
    await clock.advance(0);
    assert.deepEqual(calls, ["begin", "work:1"]);
    const snapshot = roundTrip(handler);
    await handler.cancel();
    const wf = queueWorkflow(calls);
    const resumed = wf.run(undefined, { ctx: Context.fromJSON(wf, snapshot) });
    assert.equal(await resumed, "1,2");
    assert.deepEqual(
      calls.filter((c) => c !== "gather"),
      ["begin", "work:1", "work:1", "work:2"],
    );
  });

  it("restores collect buffers, so events collected before the snapshot count after it", async () => {
    const slowCalls: number[] = [];
    const make = (clock: TestClock) => {
      class Parts extends Workflow {
        @step({ accepts: StartEvent, emits: [PartEvent, SlowEvent] })
        async begin(_ev: StartEvent, ctx: Context) {
          ctx.sendEvent(new PartEvent({ value: 1 }));
          ctx.sendEvent(new PartEvent({ value: 2 }));
          ctx.sendEvent(new SlowEvent());
          return null;
        }

        @step({ accepts: SlowEvent, emits: PartEvent })
        async slow() {
          slowCalls.push(slowCalls.length);
          if (slowCalls.length === 1) await NEVER;
          return new PartEvent({ value: 3 });
        }

        @step({ accepts: PartEvent, emits: StopEvent })
        async gather(ev: PartEvent, ctx: Context) {
          const parts = ctx.collectEvents(ev, THREE_PARTS);
          if (!parts) return null;
          return new StopEvent({ result: parts.map((p) => p.value).join(",") });
        }
      }
      return new Parts({ runtime: runtime(clock) });
    };
    const clock = new TestClock();
    const handler = make(clock).run();
    await clock.advance(0);
    const { resumed } = await resumeElsewhere(handler, () => make(clock));
    await clock.advance(0);
    assert.equal(resumed.isDone(), true);
    assert.equal(await resumed, "1,2,3");
    assert.equal(slowCalls.length, 2);
  });

  it("re-runs an in-flight collecting step on resume with the events it had taken, buffering its input only once", async () => {
    const pairs: string[] = [];
    let hung = false;
    const make = (clock: TestClock) => {
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

        @step({ accepts: [AEvent, BEvent], emits: [NextEvent, StopEvent] })
        async pair(ev: AEvent | BEvent, ctx: Context) {
          const got = ctx.collectEvents(ev, PAIR);
          if (!got) return null;
          if (!hung) {
            hung = true;
            await NEVER;
          }
          pairs.push(`A${got[0].n}+B${got[1].n}`);
          return pairs.length === 1 ? new NextEvent() : new StopEvent({ result: pairs.join(",") });
        }
      }
      return new Pairing({ runtime: runtime(clock) });
    };
    const clock = new TestClock();
    const handler = make(clock).run();
    await clock.advance(0);
    const { resumed } = await resumeElsewhere(handler, () => make(clock));
    await clock.advance(0);
    assert.equal(resumed.isDone(), true);
    assert.equal(await resumed, "A1+B1,A2+B2");
  });

  it("restores waiters, so the awaited event re-runs the parked step after resume", async () => {
    const counter = { before: 0 };
    const make = (clock: TestClock) => {
      class Asking extends Workflow {
        @step({ accepts: StartEvent, emits: StopEvent })
        async ask(_ev: StartEvent, ctx: Context) {
          counter.before++;
          const answer = await ctx.waitForEvent(AnswerEvent, {
            waiterEvent: new QuestionEvent({ prompt: "?" }),
          });
          return new StopEvent({ result: answer.text });
        }
      }
      return new Asking({ runtime: runtime(clock) });
    };
    const clock = new TestClock();
    const handler = make(clock).run();
    await clock.advance(0);
    const { resumed } = await resumeElsewhere(handler, () => make(clock));
    await clock.advance(0);
    assert.equal(counter.before, 1);
    resumed.sendEvent(new AnswerEvent({ text: "answered after resume" }));
    assert.equal(await resumed, "answered after resume");
    assert.equal(counter.before, 2);
  });

  it("resumes a step that was running after its wait resolved, when the awaited class appears only in waitForEvent", async () => {
    class ApprovalEvent extends HumanResponseEvent.define({ approved: z.boolean() }) {}
    const runs = { after: 0 };
    const make = (clock: TestClock) => {
      class Approving extends Workflow {
        @step({ accepts: StartEvent, emits: StopEvent })
        async approve(_ev: StartEvent, ctx: Context) {
          const approval = await ctx.waitForEvent(ApprovalEvent);
          runs.after++;
          if (runs.after === 1) await NEVER;
          return new StopEvent({ result: approval.approved });
        }
      }
      return new Approving({ runtime: runtime(clock) });
    };
    const clock = new TestClock();
    const handler = make(clock).run();
    await clock.advance(0);
    handler.sendEvent(new ApprovalEvent({ approved: true }));
    await clock.advance(0);
    const { resumed } = await resumeElsewhere(handler, () => make(clock));
    assert.equal(await resumed, true);
    assert.equal(runs.after, 2);
  });

  it("restores retry counters, so retries go on where they left off", async () => {
    const infos: RetryInfo[] = [];
    const make = (clock: TestClock) => {
      class Failing extends Workflow {
        @step({
          accepts: StartEvent,
          emits: StopEvent,
          retry: retryPolicy({ wait: waitFixed(5), stop: stopAfterAttempt(3) }),
        })
        async failing(_ev: StartEvent, ctx: Context): Promise<StopEvent> {
          infos.push(ctx.retryInfo());
          throw new Error(`failure ${infos.length}`);
        }
      }
      return new Failing({ timeout: null, runtime: runtime(clock) });
    };
    const clock = new TestClock();
    const handler = make(clock).run();
    await clock.advance(0);
    const { resumed } = await resumeElsewhere(handler, () => make(clock));
    await clock.advance(4_999);
    assert.equal(infos.length, 1);
    await clock.advance(5_001);
    await assert.rejects(async () => await resumed, /failure 3/);
    assert.deepEqual(
      infos.map((i) => [i.retryNumber, i.lastError?.message ?? null]),
      [
        [0, null],
        [1, "failure 1"],
        [2, "failure 2"],
      ],
    );
  });

  it("re-runs an in-flight @catchError handler on resume with the StepFailedEvent it was given", async () => {
    const received: string[] = [];
    const make = (clock: TestClock) => {
      class Recovering extends Workflow {
        @step({ accepts: StartEvent, emits: StopEvent })
        async fragile(): Promise<StopEvent> {
          throw new TypeError("bad input");
        }

        @catchError({ emits: StopEvent })
        async recover(ev: StepFailedEvent) {
          received.push(`${ev.stepName}:${ev.error.name}:${ev.error.message}`);
          if (received.length === 1) await NEVER;
          return new StopEvent({ result: `recovered from ${ev.error.message}` });
        }
      }
      return new Recovering({ runtime: runtime(clock) });
    };
    const clock = new TestClock();
    const handler = make(clock).run();
    await clock.advance(0);
    const { resumed } = await resumeElsewhere(handler, () => make(clock));
    assert.equal(await resumed, "recovered from bad input");
    assert.deepEqual(received, ["fragile:TypeError:bad input", "fragile:TypeError:bad input"]);
  });

  it("restores a wait's timeout, which fires on the resumed run's clock", async () => {
    const make = (clock: TestClock) => {
      class Patient extends Workflow {
        @step({ accepts: StartEvent, emits: StopEvent })
        async patient(_ev: StartEvent, ctx: Context) {
          try {
            const answer = await ctx.waitForEvent(AnswerEvent, { timeout: 30 });
            return new StopEvent({ result: answer.text });
          } catch (error) {
            if (error instanceof WorkflowTimeoutError) return new StopEvent({ result: "gave up" });
            throw error;
          }
        }
      }
      return new Patient({ timeout: null, runtime: runtime(clock) });
    };
    const clock = new TestClock();
    const handler = make(clock).run();
    await clock.advance(10_000);
    const { resumed } = await resumeElsewhere(handler, () => make(clock));
    await clock.advance(19_999);
    assert.equal(resumed.isDone(), false);
    await clock.advance(1);
    assert.equal(await resumed, "gave up");
  });

  it("refuses `toJSON()` from inside a step with a WorkflowRuntimeError", async () => {
    class Inside extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async inside(_ev: StartEvent, ctx: Context) {
        ctx.toJSON();
        return new StopEvent();
      }
    }
    await assert.rejects(
      async () => await new Inside({ runtime: runtime() }).run(),
      (error: unknown) => error instanceof WorkflowRuntimeError && /handler/.test(error.message),
    );
  });

  it("refuses a start input for a context that resumes a run", async () => {
    const snapshot = await pausedInterview([]);
    const wf = interviewWorkflow([]);
    assert.throws(
      () => wf.run({ who: "again" }, { ctx: Context.fromJSON(wf, snapshot) }),
      WorkflowRuntimeError,
    );
  });
});

describe("snapshot errors", () => {
  /** Asserts that restoring `snapshot` into `wf` fails with a SnapshotError matching `pattern`. */
  function assertRefused(wf: Workflow, snapshot: unknown, pattern: RegExp): void {
    assert.throws(
      () => Context.fromJSON(wf, snapshot),
      (error: unknown) => {
        assert.ok(error instanceof SnapshotError, `got ${String(error)}`);
        assert.match(error.message, pattern);
        return true;
      },
    );
  }

  it("refuses text that is not JSON", () => {
    assertRefused(interviewWorkflow([]), "{not json", /not valid JSON/);
  });

  it("refuses JSON that is not a context snapshot", () => {
    assertRefused(interviewWorkflow([]), { hello: "world" }, /not a stepwise context snapshot/);
  });

  it("refuses a snapshot whose run state is malformed", async () => {
    const snapshot = await pausedInterview([]);
    const broken = { ...snapshot, run: { ...(snapshot.run as object), steps: "nope" } };
    assertRefused(interviewWorkflow([]), broken, /malformed.*steps/s);
  });

  it("refuses a snapshot of another workflow, naming both", async () => {
    const snapshot = await pausedInterview([]);
    class Other extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async only() {
        return new StopEvent();
      }
    }
    assertRefused(new Other(), snapshot, /`Interview`.*`Other`/);
  });

  it("refuses a snapshot of another version, naming the version", async () => {
    const snapshot = await pausedInterview([]);
    assertRefused(interviewWorkflow([]), { ...snapshot, version: 2 }, /version 2/);
  });

  it("refuses a snapshot holding an event type the workflow does not know, naming the type", async () => {
    const calls: string[] = [];
    const clock = new TestClock();
    const handler = queueWorkflow(calls, clock).run();
    await clock.advance(0);
    const text = JSON.stringify(handler.ctx.toJSON()).replaceAll('"WorkEvent"', '"MysteryEvent"');
    await handler.cancel();
    assertRefused(queueWorkflow([]), JSON.parse(text), /`MysteryEvent`/);
  });

  const unserializable: [string, () => unknown][] = [
    ["a function", () => () => 1],
    ["a Map", () => new Map([["a", 1]])],
    [
      "a class instance",
      () =>
        new (class Point {
          x = 1;
        })(),
    ],
  ];
  for (const [kind, make] of unserializable) {
    it(`refuses to snapshot a store holding ${kind}, naming its key`, async () => {
      class Holding extends Workflow {
        @step({ accepts: StartEvent, emits: StopEvent })
        async hold(_ev: StartEvent, ctx: Context) {
          await ctx.store.set("fine", 1);
          await ctx.store.set("trouble", make());
          return new StopEvent();
        }
      }
      const handler = new Holding({ runtime: runtime() }).run();
      await handler;
      assert.throws(
        () => handler.ctx.toJSON(),
        (error: unknown) => {
          assert.ok(error instanceof SnapshotError, `got ${String(error)}`);
          assert.match(error.message, /`trouble`/);
          return true;
        },
      );
    });
  }

  it("snapshots and restores store values through a custom serializer", async () => {
    const serializer: StoreSerializer = {
      serialize: (value) => (value instanceof Map ? { $map: [...value] } : value),
      deserialize: (value) =>
        value !== null && typeof value === "object" && "$map" in value
          ? new Map((value as { $map: [unknown, unknown][] }).$map)
          : value,
    };
    class Mapping extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async map(_ev: StartEvent, ctx: Context) {
        await ctx.store.set("index", new Map([["a", 1]]));
        return new StopEvent();
      }
    }
    const wf = new Mapping({ runtime: runtime() });
    const handler = wf.run(undefined, { ctx: new Context(wf, { serializer }) });
    await handler;
    const snapshot = roundTrip(handler);
    const restored = Context.fromJSON(wf, snapshot, { serializer });
    const index = restored.store.get("index");
    assert.ok(index instanceof Map);
    assert.equal(index.get("a"), 1);
  });
});

describe("contexts across runs", () => {
  function counterWorkflow() {
    class Counter extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async count(_ev: StartEvent, ctx: Context) {
        const next = ctx.store.get("count", 0) + 1;
        await ctx.store.set("count", next);
        return new StopEvent({ result: next });
      }
    }
    return new Counter({ runtime: runtime() });
  }

  it("accumulates store state when one context is reused across sequential runs", async () => {
    const wf = counterWorkflow();
    const ctx = new Context(wf);
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await wf.run(undefined, { ctx }));
    assert.deepEqual(results, [1, 2, 3]);
  });

  it("makes a store seeded before the run visible inside it", async () => {
    const wf = counterWorkflow();
    const ctx = new Context(wf);
    await ctx.store.set("count", 41);
    assert.equal(await wf.run(undefined, { ctx }), 42);
  });

  it("starts a new run with the restored store from a snapshot of a finished run", async () => {
    const wf = counterWorkflow();
    const first = wf.run();
    await first;
    const ctx = Context.fromJSON(wf, roundTrip(first));
    assert.equal(await wf.run(undefined, { ctx }), 2);
  });
});
