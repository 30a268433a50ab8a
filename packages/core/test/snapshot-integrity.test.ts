/**
 * Restoring a snapshot checks that its parts agree with each other and with the workflow: a
 * snapshot the engine could not have written is refused with a `SnapshotError` naming the
 * field, and what can be derived (counters) is derived. Every snapshot problem, reading or
 * writing, is a `SnapshotError` with a `code`.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import {
  Context,
  catchError,
  Event,
  HumanResponseEvent,
  InMemoryRuntime,
  retryPolicy,
  SnapshotError,
  type SnapshotErrorCode,
  StartEvent,
  type StepFailedEvent,
  StopEvent,
  type StoreSerializer,
  step,
  stopAfterAttempt,
  TestClock,
  Workflow,
  waitFixed,
} from "@stepwise/core";
import { z } from "zod";
import { type Base, resume, takeBases } from "./fixtures/snapshot-bases.js";

let bases: Record<string, Base>;
before(async () => {
  bases = Object.fromEntries((await takeBases()).map((base) => [base.name, base]));
});

/** A copy of a base's snapshot with `change` applied to its JSON. */
function edited(base: string, change: (json: any) => void): unknown {
  const json = structuredClone((bases[base] as Base).snapshot);
  change(json);
  return json;
}

/** Asserts that the snapshot is refused with `code`, at `path` (when given). */
async function assertRefused(
  base: string,
  snapshot: unknown,
  code: SnapshotErrorCode,
  path?: string,
): Promise<SnapshotError> {
  const outcome = await resume(bases[base] as Base, snapshot);
  assert.equal(outcome.kind, "refused", `expected a refusal, got ${JSON.stringify(outcome)}`);
  const error = (outcome as { error: SnapshotError }).error;
  assert.equal(error.code, code, error.message);
  if (path !== undefined) assert.equal(error.path, path);
  return error;
}

/** Asserts that the snapshot resumes to the same result as the base's own snapshot. */
async function assertResumesAsBase(base: string, snapshot: unknown): Promise<void> {
  const expected = await resume(bases[base] as Base, (bases[base] as Base).snapshot);
  const outcome = await resume(bases[base] as Base, snapshot);
  assert.deepEqual(outcome, expected);
}

describe("restoring an inconsistent snapshot", () => {
  it("refuses a retry timer whose tick names no step, naming the field", async () => {
    const snapshot = edited("waiting to retry", (json) => {
      json.run.timers["retry:1"].tick.step = 0;
    });
    await assertRefused(
      "waiting to retry",
      snapshot,
      "malformed",
      'run.timers["retry:1"].tick.step',
    );
  });

  it("refuses a retry timer whose tick names a step the workflow lacks", async () => {
    const snapshot = edited("waiting to retry", (json) => {
      json.run.timers["retry:1"].tick.step = "nowhere";
    });
    const error = await assertRefused(
      "waiting to retry",
      snapshot,
      "inconsistent",
      'run.timers["retry:1"].tick.step',
    );
    assert.match(error.message, /`nowhere` is not a step/);
  });

  it("refuses a retry timer that moves its item to a step that does not accept it", async () => {
    const snapshot = edited("waiting to retry", (json) => {
      json.run.timers["retry:1"].tick.step = "gather";
    });
    await assertRefused(
      "waiting to retry",
      snapshot,
      "inconsistent",
      'run.timers["retry:1"].tick.item.event.type',
    );
  });

  it("refuses a timer whose id does not match its tick", async () => {
    const snapshot = edited("waiting to retry", (json) => {
      json.run.timers["waiter:9"] = json.run.timers["retry:1"];
      delete json.run.timers["retry:1"];
    });
    await assertRefused(
      "waiting to retry",
      snapshot,
      "inconsistent",
      'run.timers["waiter:9"].tick.type',
    );
  });

  it("refuses a completed run marked running", async () => {
    const snapshot = edited("after the end", (json) => {
      json.run.status = "running";
    });
    await assertRefused("after the end", snapshot, "inconsistent", "status");
  });

  it("derives the count of waiters, so an awaited event reaches a waiter whose count says zero", async () => {
    const snapshot = edited("waiting for events", (json) => {
      Object.assign(json.run, { active: 0, queued: 0, retriesPending: 0, waiting: 0 });
    });
    await assertResumesAsBase("waiting for events", snapshot);
  });

  it("runs the extra items in turn when more workers are busy than the step allows", async () => {
    const snapshot = edited("mid-run", (json) => {
      const work = json.run.steps.work;
      work.workers.push({ item: work.queue.shift(), invocation: 9, taken: null });
    });
    await assertResumesAsBase("mid-run", snapshot);
  });

  it("refuses two queue items holding the same event", async () => {
    const snapshot = edited("mid-run", (json) => {
      json.run.steps.work.queue.push(structuredClone(json.run.steps.work.queue[0]));
    });
    await assertRefused("mid-run", snapshot, "inconsistent", "run.steps.work.queue[2].event.id");
  });

  it("refuses an event both queued and busy in one step", async () => {
    const snapshot = edited("mid-run", (json) => {
      const work = json.run.steps.work;
      work.queue.push(structuredClone(work.workers[0].item));
    });
    await assertRefused("mid-run", snapshot, "inconsistent");
  });

  it("refuses an event collected twice in one buffer", async () => {
    const snapshot = edited("mid-run", (json) => {
      const notes = json.run.steps.gather.collected.default.NoteEvent;
      notes.push(structuredClone(notes[0]));
    });
    await assertRefused(
      "mid-run",
      snapshot,
      "inconsistent",
      "run.steps.gather.collected.default.NoteEvent[1].id",
    );
  });

  it("refuses an event id that names two different events", async () => {
    const snapshot = edited("mid-run", (json) => {
      json.run.steps.gather.collected.default.NoteEvent[0].id =
        json.run.steps.work.queue[0].event.id;
    });
    await assertRefused("mid-run", snapshot, "inconsistent");
  });

  it("refuses a queued event of a type its step does not accept", async () => {
    const snapshot = edited("mid-run", (json) => {
      const record = json.run.steps.work.queue[0].event;
      record.type = "NoteEvent";
      record.value = { $stepwise: "event", type: "NoteEvent", data: { text: "stray" } };
    });
    const error = await assertRefused(
      "mid-run",
      snapshot,
      "inconsistent",
      "run.steps.work.queue[0].event.type",
    );
    assert.match(error.message, /step `work` does not accept `NoteEvent`/);
  });

  it("refuses an event record whose role is not its class's", async () => {
    const snapshot = edited("mid-run", (json) => {
      json.run.steps.work.queue[0].event.role = "stop";
    });
    await assertRefused("mid-run", snapshot, "inconsistent", "run.steps.work.queue[0].event.role");
  });

  it("refuses an event record whose type is not the type of the event it holds", async () => {
    const snapshot = edited("mid-run", (json) => {
      json.run.steps.work.queue[0].event.value.type = "DoneEvent";
    });
    await assertRefused(
      "mid-run",
      snapshot,
      "inconsistent",
      "run.steps.work.queue[0].event.value.type",
    );
  });

  it("refuses a waiter's timeout timer when the waiter is gone", async () => {
    const snapshot = edited("waiting for events", (json) => {
      json.run.steps.ask.waiters = [];
    });
    await assertRefused("waiting for events", snapshot, "inconsistent", 'run.timers["waiter:1"]');
  });

  it("refuses a waiter marked timed out that still has its timer", async () => {
    const snapshot = edited("waiting for events", (json) => {
      json.run.steps.ask.waiters[0].timedOut = true;
    });
    await assertRefused(
      "waiting for events",
      snapshot,
      "inconsistent",
      "run.steps.ask.waiters[0].timerId",
    );
  });

  it("refuses a pending waiter whose step's input is queued again", async () => {
    const snapshot = edited("waiting for events", (json) => {
      json.run.steps.check.queue.push(structuredClone(json.run.steps.check.waiters[0].item));
    });
    await assertRefused(
      "waiting for events",
      snapshot,
      "inconsistent",
      "run.steps.check.waiters[0].item",
    );
  });

  it("refuses a resolved waiter whose step would never run again", async () => {
    const snapshot = edited("waiting for events", (json) => {
      json.run.steps.confirm.workers = [];
    });
    await assertRefused(
      "waiting for events",
      snapshot,
      "inconsistent",
      "run.steps.confirm.waiters[0]",
    );
  });

  it("refuses a resolved waiter holding an event of another type than it waits for", async () => {
    const snapshot = edited("waiting for events", (json) => {
      json.run.steps.confirm.waiters[0].eventType = "AnswerEvent";
    });
    await assertRefused(
      "waiting for events",
      snapshot,
      "inconsistent",
      "run.steps.confirm.waiters[0].resolved.type",
    );
  });

  it("refuses an item waiting to retry that has never failed", async () => {
    const snapshot = edited("waiting to retry", (json) => {
      json.run.timers["retry:1"].tick.item.attempts = 0;
    });
    await assertRefused("waiting to retry", snapshot, "inconsistent");
  });

  it("refuses recovery counts for a step that is not a @catchError handler", async () => {
    const snapshot = edited("waiting to retry", (json) => {
      json.run.steps.recover.workers[0].item.recoveries = { job: 1 };
    });
    await assertRefused(
      "waiting to retry",
      snapshot,
      "inconsistent",
      "run.steps.recover.workers[0].item.recoveries.job",
    );
  });

  it("refuses an event id beyond what a run can count up from", async () => {
    const snapshot = edited("mid-run", (json) => {
      json.run.lastEventId = 2 ** 53;
    });
    await assertRefused("mid-run", snapshot, "malformed", "run.lastEventId");
  });
});

describe("snapshot errors", () => {
  /** Asserts that `Context.fromJSON(wf, snapshot)` throws a SnapshotError with `code`. */
  function assertCode(wf: Workflow, snapshot: unknown, code: SnapshotErrorCode): SnapshotError {
    try {
      Context.fromJSON(wf, snapshot);
    } catch (error) {
      assert.ok(error instanceof SnapshotError, `got ${String(error)}`);
      assert.equal(error.code, code, error.message);
      return error;
    }
    assert.fail("the snapshot was restored");
  }

  const make = (name: string) => (bases[name] as Base).make(new TestClock(), false);

  it("gives each kind of refusal its own code", () => {
    const snapshot = (bases["mid-run"] as Base).snapshot;
    const cases: [unknown, SnapshotErrorCode][] = [
      ["{not json", "notJson"],
      [{ hello: "world" }, "notASnapshot"],
      [{ ...snapshot, version: 2 }, "unsupportedVersion"],
      [{ ...snapshot, run: { ...(snapshot.run as object), steps: "nope" } }, "malformed"],
      [{ ...snapshot, workflow: "Other" }, "otherWorkflow"],
      [
        JSON.parse(JSON.stringify(snapshot).replaceAll('"WorkEvent"', '"MysteryEvent"')),
        "unknownEventType",
      ],
    ];
    for (const [input, code] of cases) assertCode(make("mid-run"), input, code);
    class Renamed extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async only() {
        return new StopEvent();
      }
    }
    assertCode(new Renamed({ name: "FanIn" }), snapshot, "stepsDiffer");
  });

  it("refuses an event whose fields fail its schema as invalidEvent, naming the event and where it is", () => {
    const snapshot = edited("mid-run", (json) => {
      json.run.steps.work.queue[0].event.value.data.id = "three";
    });
    const error = assertCode(make("mid-run"), snapshot, "invalidEvent");
    assert.equal(error.eventType, "WorkEvent");
    assert.equal(error.path, "run.steps.work.queue[0].event.value.data");
    assert.match(error.message, /`WorkEvent`/);
  });

  it("refuses a store value that fails the workflow's state schema as invalidStore, naming the key", () => {
    const snapshot = edited("after the end", (json) => {
      json.store.count = "many";
    });
    const error = assertCode(make("after the end"), snapshot, "invalidStore");
    assert.equal(error.key, "count");
    assert.match(error.message, /`count`/);
  });

  it("refuses a store value the serializer cannot read as invalidStore, naming the key", () => {
    const serializer: StoreSerializer = {
      serialize: (value) => value,
      deserialize: (value, key) => {
        if (key === "broken") throw new Error("cannot read this");
        return value;
      },
    };
    const snapshot = edited("after the end", (json) => {
      json.store.broken = 1;
    });
    try {
      Context.fromJSON(make("after the end"), snapshot, { serializer });
      assert.fail("restored");
    } catch (error) {
      assert.ok(error instanceof SnapshotError, String(error));
      assert.equal(error.code, "invalidStore");
      assert.equal(error.key, "broken");
    }
  });

  /** A run whose start step hangs holding a start event with `value` (wrapped: a handler is a thenable). */
  async function holding(value: unknown) {
    const clock = new TestClock();
    class Holding extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async hold() {
        await new Promise(() => {});
        return new StopEvent();
      }
    }
    const handler = new Holding({ runtime: new InMemoryRuntime({ clock }) }).run({ value });
    await clock.advance(0);
    return { handler };
  }

  function assertUnserializable(handler: { ctx: Context }, path: string): void {
    assert.throws(
      () => handler.ctx.toJSON(),
      (error: unknown) => {
        assert.ok(error instanceof SnapshotError, `got ${String(error)}`);
        assert.equal(error.code, "unserializable");
        assert.equal(error.eventType, "StartEvent");
        assert.equal(error.path, path);
        assert.match(error.message, /`StartEvent`/);
        return true;
      },
    );
  }

  it("refuses to snapshot an event with a cyclic field as unserializable, naming the event and field", async () => {
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    const { handler } = await holding(cyclic);
    assertUnserializable(handler, "value.self");
    await handler.cancel();
  });

  it("refuses to snapshot an event with a function field instead of dropping it", async () => {
    const { handler } = await holding({ callback: () => 1 });
    assertUnserializable(handler, "value.callback");
    await handler.cancel();
  });

  it("refuses a store value a custom serializer turns into something JSON cannot carry", async () => {
    class Storing extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async store(_ev: StartEvent, ctx: Context) {
        await ctx.store.set("index", new Map([["a", 1]]));
        return new StopEvent();
      }
    }
    const wf = new Storing({ runtime: new InMemoryRuntime({ clock: new TestClock() }) });
    const serializer: StoreSerializer = { serialize: (v) => v, deserialize: (v) => v };
    const handler = wf.run(undefined, { ctx: new Context(wf, { serializer }) });
    await handler;
    assert.throws(
      () => handler.ctx.toJSON(),
      (error: unknown) =>
        error instanceof SnapshotError && error.code === "unserializable" && error.key === "index",
    );
  });

  it("refuses an event nested in a field whose type the workflow does not know", () => {
    class Stray extends Event.define({ n: z.number() }) {}
    const snapshot = edited("mid-run", (json) => {
      json.run.steps.work.queue[0].event.value.data.extra = {
        $stepwise: "event",
        type: Stray.eventType,
        data: { n: 1 },
      };
    });
    assertCode(make("mid-run"), snapshot, "unknownEventType");
  });
});

class Task extends Event.define({ n: z.number() }) {}
class Sub extends Event.define({ n: z.number(), i: z.number() }) {}
class SubDone extends Event.define({ n: z.number(), v: z.number() }) {}
class TaskDone extends Event.define({ n: z.number(), total: z.number() }) {}
class Summary extends Event.define({ total: z.number() }) {}
class Label extends Event.define({ text: z.string() }) {}
class Ask extends Event.define({}) {}
class Reply extends Event.define({}) {}
class Answer extends HumanResponseEvent.define({ text: z.string() }) {}
class Risk extends Event.define({}) {}
class Part extends Event.define({ text: z.string() }) {}
const TWO_PARTS = [Part, Part] as const;

/** Pauses a step for `ms` on the run's test clock. */
const pause = (clock: TestClock, ms: number) =>
  new Promise<void>((resolve) => clock.setTimeout(resolve, ms));

/** Nested fan-outs gathered by two `collect` steps, and a `join` with a label sent on the side. */
function nestedFanOut(clock: TestClock) {
  const wf = new Workflow({ timeout: 60, runtime: new InMemoryRuntime({ clock }) });
  wf.addStep(
    "split",
    { accepts: StartEvent, emits: [Task, Label], fanOut: true },
    (_ev: StartEvent, ctx: Context) => {
      ctx.sendEvent(new Label({ text: "total" }));
      return [1, 2, 3].map((n) => new Task({ n }));
    },
  );
  wf.addStep(
    "explode",
    { accepts: Task, emits: Sub, fanOut: true, numWorkers: 2 },
    async (ev: Task) => {
      await pause(clock, ev.n * 3);
      return Array.from({ length: ev.n }, (_, i) => new Sub({ n: ev.n, i }));
    },
  );
  wf.addStep("work", { accepts: Sub, emits: SubDone, numWorkers: 2 }, async (ev: Sub) => {
    await pause(clock, 2 + ev.i);
    return new SubDone({ n: ev.n, v: ev.i + 1 });
  });
  wf.addStep(
    "inner",
    { accepts: SubDone, emits: TaskDone, collect: true },
    (done: SubDone[]) =>
      new TaskDone({ n: done[0]?.n ?? 0, total: done.reduce((sum, d) => sum + d.v, 0) }),
  );
  wf.addStep(
    "outer",
    { accepts: TaskDone, emits: Summary, collect: true },
    (done: TaskDone[]) => new Summary({ total: done.reduce((sum, d) => sum + d.total, 0) }),
  );
  wf.addStep(
    "label",
    { accepts: [Summary, Label], emits: StopEvent, join: true },
    ([summary, label]: [Summary, Label]) =>
      new StopEvent({ result: `${label.text}=${summary.total}` }),
  );
  return wf;
}

/** collectEvents, a wait answered by another step, a retry and a @catchError recovery. */
function mixed(clock: TestClock) {
  class Mixed extends Workflow {
    @step({ accepts: StartEvent, emits: [Ask, Reply, Risk] })
    async begin(_ev: StartEvent, ctx: Context) {
      ctx.sendEvent(new Ask());
      ctx.sendEvent(new Reply());
      ctx.sendEvent(new Risk());
      return null;
    }

    @step({ accepts: Ask, emits: Part })
    async ask(_ev: Ask, ctx: Context) {
      const answer = await ctx.waitForEvent(Answer, { timeout: 50 });
      await pause(clock, 2);
      return new Part({ text: answer.text });
    }

    @step({ accepts: Reply, emits: Answer })
    async reply(_ev: Reply, ctx: Context) {
      await pause(clock, 4);
      ctx.sendEvent(new Answer({ text: "answered" }));
      return null;
    }

    @step({
      accepts: Risk,
      emits: Part,
      retry: retryPolicy({ wait: waitFixed(0.003), stop: stopAfterAttempt(3) }),
    })
    async risky(_ev: Risk, ctx: Context) {
      await pause(clock, 1);
      if (ctx.retryInfo().retryNumber < 2) throw new TypeError("not yet");
      throw new RangeError("never");
    }

    @catchError({ emits: Part })
    async recover(ev: StepFailedEvent) {
      await pause(clock, 2);
      return new Part({ text: `${ev.error.name} after ${ev.attempts}` });
    }

    @step({ accepts: Part, emits: StopEvent })
    async gather(ev: Part, ctx: Context) {
      const parts = ctx.collectEvents(ev, TWO_PARTS);
      if (!parts) return null;
      return new StopEvent({ result: parts.map((p) => p.text).sort() });
    }
  }
  // `reply` sends an event only a wait takes: a dead end to the graph checks.
  return new Mixed({ timeout: 60, validate: false, runtime: new InMemoryRuntime({ clock }) });
}

describe("restoring what the engine wrote", () => {
  /** Runs to the end, taking a snapshot (through JSON) every millisecond of the run's clock. */
  async function snapshotsOfARun(make: (clock: TestClock) => Workflow) {
    const clock = new TestClock();
    const handler = make(clock).run();
    const snapshots: { json: unknown; at: number }[] = [];
    while (!handler.isDone() && clock.now() < 1000) {
      snapshots.push({ json: JSON.parse(JSON.stringify(handler.ctx.toJSON())), at: clock.now() });
      await clock.advance(1);
    }
    assert.ok(handler.isDone(), "the run has not ended");
    return { snapshots, result: await handler };
  }

  for (const [name, make] of [
    ["nested fan-outs with a join", nestedFanOut],
    ["waits, retries, recoveries and collectEvents", mixed],
  ] as const) {
    it(`restores every snapshot taken during a run with ${name}, each resuming to the run's result`, async () => {
      const { snapshots, result } = await snapshotsOfARun(make);
      assert.ok(snapshots.length > 5, `only ${snapshots.length} snapshots`);
      for (const { json, at } of snapshots) {
        const clock = new TestClock(at);
        const wf = make(clock);
        const handler = wf.run(undefined, { ctx: Context.fromJSON(wf, json) });
        while (!handler.isDone() && clock.now() < at + 1000) await clock.advance(1);
        assert.ok(handler.isDone(), `the run resumed from the snapshot at ${at} ms has not ended`);
        assert.deepEqual(await handler, result, `resumed from the snapshot at ${at} ms`);
      }
    });
  }
});
