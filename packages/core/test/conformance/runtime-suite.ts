/**
 * The behaviour every runtime must show, as one suite: core runs it on the in-memory runtime,
 * `@stepwise/sqlite` on SQLite, and a durable runtime (e.g. `@stepwise/dbos`) on its own storage.
 * Import it by path (`packages/core/test/conformance/runtime-suite.ts`) and call
 * {@link runtimeSuite} with a factory; a runtime that journals runs also passes `storage`, and
 * the suite then checks recovery after a crash. Errors are matched by `code`, never by wording.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Clock,
  type Context,
  Context as ContextClass,
  Event,
  HumanResponseEvent,
  InputRequiredEvent,
  RunAdmissionError,
  type Runtime,
  retryPolicy,
  StartEvent,
  StepStateChanged,
  StopEvent,
  stopAfterAttempt,
  TestClock,
  Workflow,
  WorkflowCancelledError,
  WorkflowFailedEvent,
  WorkflowRuntimeError,
  waitFixed,
} from "@stepwise/core";
import { z } from "zod";

class Hop extends Event.define({ n: z.number() }) {}
class Part extends Event.define({ i: z.number() }) {}
class Note extends Event.define({ text: z.string() }) {}
class Ask extends InputRequiredEvent.define({ question: z.string() }) {}
class Answer extends HumanResponseEvent.define({ answer: z.string() }) {}

/** What a runtime factory may be given. */
export interface RuntimeFactoryOptions {
  /** The clock the runtime's runs use (a `TestClock` in timer tests). */
  readonly clock?: Clock;
}

/** Makes a new runtime, with storage of its own (if it has any). */
export type RuntimeFactory = (options?: RuntimeFactoryOptions) => Runtime;

/** Storage shared by the runtimes of one test, for runtimes that journal runs. */
export interface DurableStorage {
  /** A runtime on this storage; every runtime it opens is the same owner. */
  open(): Runtime;
  /**
   * Drops a runtime as a crash would: its unfinished runs stay in the storage as they are, it
   * writes nothing more, and another runtime may open the same owner.
   */
  crash(runtime: Runtime): void;
}

/** What else the suite checks. */
export interface RuntimeSuiteOptions {
  /** New storage for each test: the suite then checks recovery of runs after a crash. */
  readonly storage?: () => DurableStorage;
}

const NEVER = new Promise<never>(() => {});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `done()` holds (checked every millisecond, for at most five seconds). */
async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited++) {
    if (waited > 5000) throw new Error("timed out waiting for a condition");
    await sleep(1);
  }
}

/** Every event of a run's log, as `seq:type`, read until the run ends. */
async function readLog(
  iterable: AsyncIterable<{ seq: number; event: Event }>,
): Promise<{ seq: number; type: string }[]> {
  const out: { seq: number; type: string }[] = [];
  for await (const { seq, event } of iterable) {
    out.push({ seq, type: (event.constructor as typeof Event).eventType });
  }
  return out;
}

/** A step that writes three notes to the stream, then stops. */
function chattyFlow(runtime: Runtime) {
  return new Workflow({ runtime, name: "Chatty" }).addStep(
    "talk",
    { accepts: StartEvent, emits: StopEvent },
    async (_ev, ctx) => {
      for (let i = 0; i < 3; i++) {
        ctx.writeEventToStream(new Note({ text: `n${i}` }));
        await sleep(1);
      }
      return new StopEvent({ result: "done" });
    },
  );
}

/** Registers the runtime conformance suite for runtimes made by `makeRuntime`. */
export function runtimeSuite(
  name: string,
  makeRuntime: RuntimeFactory,
  options: RuntimeSuiteOptions = {},
): void {
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
      await assert.rejects(
        handler,
        (error) => error instanceof WorkflowCancelledError && error.code === "cancelled",
      );
    });

    it("refuses an event for a step that is not there, or does not accept it, by code", async () => {
      const wf = new Workflow({ runtime: makeRuntime(), name: "Targets" }).addStep(
        "hang",
        { accepts: StartEvent, emits: StopEvent },
        async (_ev, ctx) => {
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          return new StopEvent();
        },
      );
      const handler = wf.run();
      assert.throws(
        () => handler.sendEvent(new Hop({ n: 1 }), { step: "nope" }),
        (error) =>
          error instanceof WorkflowRuntimeError &&
          error.code === "unknownStep" &&
          error.step === "nope",
      );
      assert.throws(
        () => handler.sendEvent(new Hop({ n: 1 }), { step: "hang" }),
        (error) =>
          error instanceof WorkflowRuntimeError &&
          error.code === "stepDoesNotAccept" &&
          error.eventType === "Hop",
      );
      await handler.cancel();
      await assert.rejects(handler, WorkflowCancelledError);
    });

    it("refuses a duplicate runId in progress with RunAdmissionError code duplicateRunId", async () => {
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
      assert.throws(
        () => wf.run({}, { runId: "dup" }),
        (error) =>
          error instanceof RunAdmissionError &&
          error.code === "duplicateRunId" &&
          error.runId === "dup",
      );
      await first.cancel();
      await assert.rejects(first, WorkflowCancelledError);
    });

    it("lets a runId be used again once its run has ended", async () => {
      const wf = new Workflow({ runtime: makeRuntime() }).addStep(
        "echo",
        { accepts: StartEvent, emits: StopEvent },
        (ev) => new StopEvent({ result: ev.value }),
      );
      assert.equal(await wf.run({ value: 1 }, { runId: "again" }), 1);
      assert.equal(await wf.run({ value: 2 }, { runId: "again" }), 2);
    });

    it("finds a run in progress by id and lists it", async () => {
      const runtime = makeRuntime();
      const wf = new Workflow({ runtime, name: "Listed" }).addStep(
        "hang",
        { accepts: StartEvent, emits: StopEvent },
        async (_ev, ctx) => {
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          return new StopEvent();
        },
      );
      const handler = wf.run({}, { runId: "listed-1" });
      assert.equal(runtime.getRun("listed-1"), handler);
      assert.ok(runtime.listRuns().some((run) => run.runId === "listed-1"));
      await handler.cancel();
      await assert.rejects(handler, WorkflowCancelledError);
      assert.equal(runtime.getRun("listed-1"), undefined);
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
      const resumed = wf.run(undefined, { ctx: ContextClass.fromJSON(wf, snapshot) });
      resumed.sendEvent(new Answer({ answer: "ada" }));
      assert.equal(await resumed, "hi ada");
      assert.equal(asked, 1);
    });

    it("runs a retry's delay on the runtime's clock", async () => {
      const clock = new TestClock();
      let attempts = 0;
      const wf = new Workflow({ runtime: makeRuntime({ clock }), timeout: null }).addStep(
        "flaky",
        {
          accepts: StartEvent,
          emits: StopEvent,
          retry: retryPolicy({ wait: waitFixed(30), stop: stopAfterAttempt(3) }),
        },
        () => {
          attempts++;
          if (attempts < 2) throw new Error("not yet");
          return new StopEvent({ result: attempts });
        },
      );
      const handler = wf.run();
      await clock.advance(0);
      // A runtime that runs steps elsewhere takes a few round trips to start the run.
      await until(() => attempts === 1);
      await clock.advance(29_000);
      await sleep(5);
      assert.equal(attempts, 1, "the retry waits for its 30 s delay");
      await clock.advance(1_000);
      assert.equal(await handler, 2);
    });
  });

  describe(`runtime conformance: ${name}: subscribers`, () => {
    it("numbers published events and serves any number of subscribers from the start", async () => {
      const handler = chattyFlow(makeRuntime()).run();
      const [a, b] = await Promise.all([
        readLog(handler.subscribe()),
        readLog(handler.subscribe({ after: -1 })),
      ]);
      assert.deepEqual(a, b);
      assert.deepEqual(
        a.map((entry) => entry.type),
        ["Note", "Note", "Note", "StopEvent"],
      );
      assert.equal(await handler, "done");
    });

    it("serves a subscriber from a sequence number of its choice, with nothing twice", async () => {
      const handler = chattyFlow(makeRuntime()).run();
      const all = await readLog(handler.subscribe({ includeInternal: true }));
      const from = all[2]?.seq ?? 0;
      const later = await readLog(handler.subscribe({ after: from, includeInternal: true }));
      assert.deepEqual(later, all.slice(3));
    });

    it("gives internal events from the start to a subscriber that comes after an await", async () => {
      const handler = chattyFlow(makeRuntime()).run();
      await sleep(5);
      const entries: { seq: number; internal: boolean; event: Event }[] = [];
      for await (const entry of handler.subscribe({ includeInternal: true })) entries.push(entry);
      assert.deepEqual(
        entries.map((entry) => entry.seq),
        entries.map((_, i) => i),
        "sequence numbers run from 0 with no gap",
      );
      assert.ok(entries[0]?.event instanceof StepStateChanged);
      for (const entry of entries) {
        if (entry.event instanceof StepStateChanged) assert.equal(entry.internal, true);
        if (entry.event instanceof Note) assert.equal(entry.internal, false);
      }
    });
  });

  if (options.storage) durableSuite(name, options.storage);
}

/** Recovery after a crash, for runtimes that journal runs. */
function durableSuite(name: string, makeStorage: () => DurableStorage): void {
  describe(`runtime conformance: ${name}: recovery after a crash`, () => {
    /** A chain of `hop`s that parks forever at `parkAt` in a runtime made to crash. */
    function chain(runtime: Runtime, ran: string[], parkAt: number | null) {
      return new Workflow({ runtime, name: "Crashing", timeout: null })
        .addStep("start", { accepts: StartEvent, emits: Hop }, () => {
          ran.push("start");
          return new Hop({ n: 0 });
        })
        .addStep("hop", { accepts: Hop, emits: [Hop, StopEvent] }, async (ev, ctx: Context) => {
          ran.push(`hop:${ev.n}`);
          ctx.writeEventToStream(new Note({ text: `at ${ev.n}` }));
          if (ev.n === parkAt) await NEVER;
          return ev.n < 5 ? new Hop({ n: ev.n + 1 }) : new StopEvent({ result: ev.n });
        });
    }

    it("rebuilds a run from its journal: the result is the same and journaled steps do not run again", async () => {
      const storage = makeStorage();
      const before: string[] = [];
      const first = storage.open();
      chain(first, before, 3).run({}, { runId: "crash-1" });
      await until(() => before.includes("hop:3"));
      await sleep(20);
      assert.deepEqual(before, ["start", "hop:0", "hop:1", "hop:2", "hop:3"]);
      storage.crash(first);
      const after: string[] = [];
      const second = storage.open();
      const [handler] = await second.recover([chain(second, after, null)]);
      assert.ok(handler, "the unfinished run is recovered");
      assert.equal(handler.runId, "crash-1");
      assert.equal(await handler, 5);
      assert.deepEqual(after, ["hop:3", "hop:4", "hop:5"], "only the step in flight runs again");
    });

    it("continues a recovered run's log: no gap and no duplicate from sequence -1", async () => {
      const storage = makeStorage();
      const first = storage.open();
      const ran: string[] = [];
      const crashed = chain(first, ran, 3).run({}, { runId: "crash-2" });
      await until(() => ran.includes("hop:3"));
      await sleep(20);
      const seenBefore = crashed.lastSeq;
      storage.crash(first);
      const second = storage.open();
      const [handler] = await second.recover([chain(second, [], null)]);
      assert.ok(handler);
      const log = await readLog(handler.subscribe({ after: -1, includeInternal: true }));
      assert.deepEqual(
        log.map((entry) => entry.seq),
        log.map((_, i) => i),
      );
      assert.ok(log.length > seenBefore + 1, "the log goes on after what was published");
      // The step in flight at the crash runs again; the note it had written is not published twice.
      assert.deepEqual(log.filter((entry) => entry.type === "Note").length, 6);
      assert.equal(log.at(-1)?.type, "StopEvent");
    });

    it("resumes a run that waited for a human when the answer comes after the restart", async () => {
      const storage = makeStorage();
      const ran: string[] = [];
      const build = (runtime: Runtime) =>
        new Workflow({ runtime, name: "Interview", timeout: null })
          .addStep("ask", { accepts: StartEvent, emits: Ask }, () => {
            ran.push("ask");
            return new Ask({ question: "name?" });
          })
          .addStep("greet", { accepts: Answer, emits: StopEvent }, (ev) => {
            ran.push("greet");
            return new StopEvent({ result: `hi ${ev.answer}` });
          });
      const first = storage.open();
      const waiting = build(first).run({}, { runId: "hitl-1" });
      for await (const ev of waiting.streamEvents()) if (ev instanceof Ask) break;
      storage.crash(first);
      const second = storage.open();
      const [handler] = await second.recover([build(second)]);
      assert.ok(handler);
      handler.sendEvent(new Answer({ answer: "ada" }));
      assert.equal(await handler, "hi ada");
      assert.deepEqual(ran, ["ask", "greet"]);
    });

    it("leaves the runs of workflows it is not given for a later recover", async () => {
      const storage = makeStorage();
      const first = storage.open();
      const ran: string[] = [];
      chain(first, ran, 1).run({}, { runId: "crash-3" });
      await until(() => ran.includes("hop:1"));
      storage.crash(first);
      const second = storage.open();
      const other = new Workflow({ runtime: second, name: "Other" }).addStep(
        "only",
        { accepts: StartEvent, emits: StopEvent },
        () => new StopEvent(),
      );
      assert.deepEqual(await second.recover([other]), []);
      const [handler] = await second.recover([chain(second, [], null)]);
      assert.equal(await handler, 5);
    });

    it("does not recover a run that ended", async () => {
      const storage = makeStorage();
      const first = storage.open();
      assert.equal(await chain(first, [], null).run({}, { runId: "done-1" }), 5);
      storage.crash(first);
      const second = storage.open();
      assert.deepEqual(await second.recover([chain(second, [], null)]), []);
    });
  });
}
