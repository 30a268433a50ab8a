/**
 * Every error stepwise throws is a `StepwiseError` with a `code` from its class's closed union,
 * and the data that explains it as fields. These tests trigger each code through the public API
 * and check the code and the fields, never the wording. The table of runtime-error codes is a
 * `Record` over `WorkflowRuntimeErrorCode`, so a code added without a case here fails to compile.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Context,
  catchError,
  Event,
  EventValidationError,
  getWorkflowGraph,
  HumanResponseEvent,
  InMemoryRuntime,
  JournalError,
  RunAdmissionError,
  retryAny,
  retryIfError,
  retryIfErrorMessage,
  retryIfErrorType,
  retryPolicy,
  SnapshotError,
  StartEvent,
  StepwiseError,
  StopEvent,
  step,
  stopAfterAttempt,
  stopAfterDelay,
  stopAny,
  stopBeforeDelay,
  TestClock,
  Workflow,
  WorkflowCancelledError,
  WorkflowRuntimeError,
  type WorkflowRuntimeErrorCode,
  type WorkflowRuntimeErrorDetails,
  WorkflowTimeoutError,
  WorkflowValidationError,
  waitChain,
  waitCombine,
  waitExponential,
  waitFixed,
  waitRandom,
} from "@stepwise/core";
import {
  createEventRegistry,
  decodeTick,
  LocalRuntime,
  type RunJournal,
  reduce,
} from "@stepwise/core/runtime";
import { z } from "zod";

class Ping extends Event.define({ n: z.number() }) {}
class Go extends HumanResponseEvent.define({}) {}
class Task extends Event.define({ n: z.number() }) {}
class Done extends Event.define({ n: z.number() }) {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What `fn` threw or rejected with; fails the test when it did neither. */
async function caught(fn: () => unknown): Promise<unknown> {
  let value: unknown;
  try {
    value = fn();
  } catch (error) {
    return error;
  }
  try {
    await value;
  } catch (error) {
    return error;
  }
  assert.fail("expected an error");
}

/** Asserts that `error` has every field given (arrays compared deeply). */
function assertFields(error: unknown, fields: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(fields)) {
    assert.deepEqual((error as Record<string, unknown>)[key], value, `field \`${key}\``);
  }
}

/** One step that returns its input's `x` (default 0). */
function echo(name = "Echo") {
  return new Workflow({ name }).addStep(
    "echo",
    { accepts: StartEvent, emits: StopEvent },
    (ev) => new StopEvent({ result: ev.get("x", 0) }),
  );
}

/** One step that waits until the run ends. */
function hang(runtime?: InMemoryRuntime) {
  return new Workflow({ name: "Hang", timeout: 60, runtime }).addStep(
    "hang",
    { accepts: StartEvent, emits: StopEvent },
    async (_ev, ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      return new StopEvent();
    },
  );
}

/** A workflow whose one step runs `fn` (typed loosely: these steps misbehave on purpose). */
function oneStep(fn: (ev: StartEvent, ctx: Context) => unknown, options: object = {}) {
  return new Workflow({ name: "One", timeout: 60 }).addStep(
    "only",
    { accepts: StartEvent, emits: StopEvent, ...options },
    fn as never,
  );
}

/** A fan-out whose second branch waits for `Go`. */
function fanOutWaiting() {
  const wf = new Workflow({ name: "Stuck", timeout: null });
  wf.addStep("split", { accepts: StartEvent, emits: Task, fanOut: true }, () => [
    new Task({ n: 1 }),
    new Task({ n: 2 }),
  ]);
  wf.addStep("work", { accepts: Task, emits: Done }, async (ev, ctx) => {
    if (ev.n === 2) await ctx.waitForEvent(Go);
    return new Done({ n: ev.n });
  });
  wf.addStep(
    "gather",
    { accepts: Done, emits: StopEvent, collect: true },
    (done: Done[]) => new StopEvent({ result: done.length }),
  );
  return wf;
}

/** A runtime whose journal fails its first write (the run's failure is then journaled). */
class BrokenJournalRuntime extends LocalRuntime {
  protected override openJournal(): RunJournal {
    let writes = 0;
    return {
      append() {
        if (writes++ === 0) throw new Error("disk full");
      },
    };
  }
}

type Case =
  | {
      readonly claim: string;
      readonly trigger: () => unknown;
      readonly fields?: Record<string, unknown>;
    }
  | { readonly elsewhere: string };

const runtimeCases: Record<WorkflowRuntimeErrorCode, Case> = {
  notAWorkflow: {
    claim: "getWorkflowGraph() of something that is no workflow",
    trigger: () => getWorkflowGraph(42 as never),
    fields: { method: "getWorkflowGraph()" },
  },
  invalidOption: {
    claim: "run() with an empty runId",
    trigger: () => echo().run({}, { runId: "" }),
    fields: { method: "run()", option: "runId" },
  },
  unknownOption: {
    claim: "run() with an option it does not have",
    trigger: () => echo().run({}, { runID: "a" } as never),
    fields: { method: "run()", option: "runID", valid: ["ctx", "runId", "signal", "runtime"] },
  },
  invalidRetryOption: {
    claim: "waitFixed() with negative seconds",
    trigger: () => waitFixed(-1),
    fields: { method: "waitFixed(seconds)", option: "seconds", received: "-1" },
  },
  notAMethod: {
    claim: "@step on a getter",
    trigger: () =>
      (step({ accepts: StartEvent, emits: StopEvent }) as (...args: unknown[]) => void)(
        () => null,
        { kind: "getter", name: "value", static: false, metadata: {} },
      ),
    fields: { decorator: "@step", member: "value" },
  },
  noDecoratorMetadata: {
    claim: "@step run without decorator metadata",
    trigger: () =>
      (step({ accepts: StartEvent, emits: StopEvent }) as (...args: unknown[]) => void)(
        () => null,
        { kind: "method", name: "go", static: false, metadata: undefined },
      ),
  },
  notRunning: {
    claim: "ctx.sendEvent() on a context that is not running",
    trigger: () => new Context(echo()).sendEvent(new Ping({ n: 1 })),
    fields: { method: "ctx.sendEvent()" },
  },
  stepOnly: {
    claim: "ctx.waitForEvent() outside a step",
    trigger: () => new Context(echo()).waitForEvent(Ping),
    fields: { method: "ctx.waitForEvent()" },
  },
  handlerOnly: {
    claim: "ctx.toJSON() inside a step",
    trigger: () => oneStep((_ev, ctx) => ctx.toJSON()).run(),
    fields: { method: "ctx.toJSON()" },
  },
  contextRunning: {
    claim: "run() with the context of a run in progress",
    trigger: async () => {
      const wf = hang();
      const handler = wf.run();
      try {
        wf.run(undefined, { ctx: handler.ctx });
      } finally {
        await handler.cancel();
      }
    },
  },
  inputOnResume: {
    claim: "run(input) with a context restored from a snapshot",
    trigger: async () => {
      const handler = hang().run();
      await sleep(5);
      const snapshot = JSON.parse(JSON.stringify(handler.ctx.toJSON()));
      await handler.cancel();
      const wf = hang();
      return wf.run({ x: 2 }, { ctx: Context.fromJSON(wf, snapshot) });
    },
  },
  contextMismatch: {
    claim: "run() with a context made for another workflow",
    trigger: () => echo("B").run(undefined, { ctx: new Context(echo("A")) }),
    fields: { workflow: "B", contextWorkflow: "A" },
  },
  runEnded: {
    claim: "handler.sendEvent() after the run ended",
    trigger: async () => {
      const handler = echo().run({}, { runId: "ended-1" });
      await handler;
      handler.sendEvent(new Ping({ n: 1 }));
    },
    fields: { runId: "ended-1", workflow: "Echo" },
  },
  streamConsumed: {
    claim: "streamEvents() twice",
    trigger: async () => {
      const handler = echo().run();
      handler.streamEvents();
      try {
        handler.streamEvents();
      } finally {
        await handler;
      }
    },
  },
  streamIterating: {
    claim: "a second iterator over one stream",
    trigger: async () => {
      const handler = echo().run();
      const stream = handler.streamEvents();
      stream[Symbol.asyncIterator]();
      try {
        stream[Symbol.asyncIterator]();
      } finally {
        await handler;
      }
    },
  },
  eventsNotKept: {
    claim: "subscribe() from the start after the only reader left",
    trigger: async () => {
      const wf = new Workflow({ name: "Chatty", timeout: 60 }).addStep(
        "talk",
        { accepts: StartEvent, emits: StopEvent },
        async (_ev, ctx) => {
          ctx.writeEventToStream(new Ping({ n: 1 }));
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          return new StopEvent();
        },
      );
      const handler = wf.run();
      for await (const _ev of handler.streamEvents()) break;
      try {
        handler.subscribe({ after: -1 });
      } finally {
        await handler.cancel();
      }
    },
    fields: { after: -1 },
  },
  noTrace: {
    claim: "handler.trace() of a workflow made with trace: false",
    trigger: async () => {
      const handler = new Workflow({ trace: false })
        .addStep("echo", { accepts: StartEvent, emits: StopEvent }, () => new StopEvent())
        .run();
      await handler;
      handler.trace();
    },
  },
  wrongStartEvent: {
    claim: "run() with a start event of another class",
    trigger: () => {
      class Begin extends StartEvent.define({ q: z.string() }) {}
      return new Workflow()
        .addStep("go", { accepts: Begin, emits: StopEvent }, () => new StopEvent())
        .run(new StartEvent() as never);
    },
    fields: { eventType: "StartEvent", expected: "Begin" },
  },
  invalidInput: {
    claim: "run() with an array",
    trigger: () => echo().run([1] as never),
    fields: { expected: "StartEvent", received: "an array" },
  },
  notAnEvent: {
    claim: "handler.sendEvent() of a plain object",
    trigger: async () => {
      const handler = hang().run();
      try {
        handler.sendEvent({ n: 1 } as never);
      } finally {
        await handler.cancel();
      }
    },
    fields: { method: "sendEvent()" },
  },
  unknownStep: {
    claim: "handler.sendEvent() to a step that does not exist",
    trigger: async () => {
      const handler = hang().run();
      try {
        handler.sendEvent(new Ping({ n: 1 }), { step: "nope" });
      } finally {
        await handler.cancel();
      }
    },
    fields: { step: "nope", workflow: "Hang", steps: ["hang"] },
  },
  stepDoesNotAccept: {
    claim: "handler.sendEvent() to a step that does not accept the event",
    trigger: async () => {
      const handler = hang().run();
      try {
        handler.sendEvent(new Ping({ n: 1 }), { step: "hang" });
      } finally {
        await handler.cancel();
      }
    },
    fields: { step: "hang", eventType: "Ping", accepts: ["StartEvent"] },
  },
  badReturn: {
    claim: "a step that returns a number",
    trigger: () => oneStep(() => 42).run(),
    fields: { step: "only", received: "a number (42)" },
  },
  unexpectedArray: {
    claim: "a step that returns an array without fanOut",
    trigger: () => oneStep(() => [new StopEvent()]).run(),
    fields: { step: "only" },
  },
  badFanOutItem: {
    claim: "a fan-out whose array holds a non-event",
    trigger: () => {
      const wf = new Workflow({ timeout: 60 });
      wf.addStep("split", { accepts: StartEvent, emits: Ping, fanOut: true }, () => [
        new Ping({ n: 1 }),
        "two" as never,
      ]);
      wf.addStep(
        "gather",
        { accepts: Ping, emits: StopEvent, collect: true },
        () => new StopEvent(),
      );
      return wf.run();
    },
    fields: { step: "split", index: 1 },
  },
  raceAfterWait: {
    claim: "a step that races ctx.waitForEvent() against a timer",
    trigger: () =>
      oneStep(async (_ev, ctx) => {
        await Promise.race([ctx.waitForEvent(Go), sleep(5)]);
        return new StopEvent();
      }).run(),
    fields: { step: "only", how: "returned" },
  },
  collectionStuck: {
    claim: "a snapshot edited so that a fan-out can never complete",
    trigger: async () => {
      const first = fanOutWaiting().run();
      await sleep(20);
      const snapshot = JSON.parse(JSON.stringify(first.ctx.toJSON()));
      await first.cancel();
      snapshot.run.steps.work.waiters = [];
      snapshot.run.timers = {};
      const wf = fanOutWaiting();
      return wf.run(undefined, { ctx: Context.fromJSON(wf, snapshot) });
    },
    fields: { step: "split" },
  },
  retryPolicyFailed: {
    claim: "a retry policy that throws",
    trigger: () =>
      oneStep(
        () => {
          throw new Error("boom");
        },
        {
          retry: {
            next() {
              throw new Error("policy broke");
            },
          },
        },
      ).run(),
    fields: { step: "only", reason: "policy broke", stepError: "boom" },
  },
  badRetryDelay: {
    claim: "a retry policy that returns negative seconds",
    trigger: () =>
      oneStep(
        () => {
          throw new Error("boom");
        },
        { retry: { next: () => -5 } },
      ).run(),
    fields: { step: "only", received: "a number (-5)", stepError: "boom" },
  },
  invalidWait: {
    claim: "a retryPolicy whose wait returns a negative delay",
    trigger: () => retryPolicy({ wait: () => -1 }).next(0, 1, new Error("boom")),
    fields: { received: "-1" },
  },
  invalidStorePath: {
    claim: "store.get() of a path through __proto__",
    trigger: () => new Context(echo()).store.get("a.__proto__.b"),
    fields: { path: "a.__proto__.b", problem: "prototypeKey", segment: "__proto__" },
  },
  storePathNotFound: {
    claim: "store.get() of a missing path with no default",
    trigger: () => new Context(echo()).store.get("missing"),
    fields: { path: "missing" },
  },
  stateNeedsDefaults: {
    claim: "a state schema with a field that has no default",
    trigger: () =>
      new Context(
        new Workflow({ state: z.object({ n: z.number() }) }).addStep(
          "echo",
          { accepts: StartEvent, emits: StopEvent },
          () => new StopEvent(),
        ),
      ),
    fields: { fields: ["n"] },
  },
  storeStateNotObject: {
    claim: "store.setState() of a number",
    trigger: () => new Context(echo()).store.setState(5 as never),
    fields: { received: "a number (5)" },
  },
  storeStateInvalid: {
    claim: "store.setState() of a state that fails the schema",
    trigger: () =>
      new Context(
        new Workflow({ state: z.object({ n: z.number().default(0) }) }).addStep(
          "echo",
          { accepts: StartEvent, emits: StopEvent },
          () => new StopEvent(),
        ),
      ).store.setState({ n: "one" } as never),
  },
  storeWriteInsideEdit: {
    claim: "store.set() inside store.edit()",
    trigger: () => {
      const store = new Context(echo()).store;
      return store.edit(async () => {
        await store.set("a", 1);
      });
    },
    fields: { method: "store.set()" },
  },
  duplicateRunId: {
    claim: "run() with the runId of a run in progress",
    trigger: async () => {
      const wf = hang();
      const handler = wf.run({}, { runId: "twice" });
      try {
        wf.run({}, { runId: "twice" });
      } finally {
        await handler.cancel();
      }
    },
    fields: { runId: "twice", runtime: "in-memory" },
  },
  runInProgress: { elsewhere: "@stepwise/sqlite (SqliteRuntime.abandonRun)" },
  runtimeClosed: { elsewhere: "@stepwise/sqlite (a closed SqliteRuntime)" },
  invalidRuntimeOptions: { elsewhere: "@stepwise/sqlite (new SqliteRuntime(options))" },
  unknownTick: {
    claim: "reduce() of something that is not a tick",
    trigger: () => reduce({} as never, { type: "nope" } as never, 0),
  },
  engineFailed: {
    claim: "a runtime whose journal cannot be written",
    trigger: () =>
      new Workflow({ runtime: new BrokenJournalRuntime() })
        .addStep("echo", { accepts: StartEvent, emits: StopEvent }, () => new StopEvent())
        .run(),
    fields: { reason: "disk full" },
  },
};

/** Every field a code carries is declared on the class, so `error.step` & co. are typed. */
type DetailKeys = {
  [C in WorkflowRuntimeErrorCode]: WorkflowRuntimeErrorDetails[C] extends Record<string, never>
    ? never
    : keyof WorkflowRuntimeErrorDetails[C];
}[WorkflowRuntimeErrorCode];
const everyFieldDeclared: [Exclude<DetailKeys, keyof WorkflowRuntimeError>] extends [never]
  ? true
  : false = true;

describe("error codes: WorkflowRuntimeError", () => {
  it("declares every field of every code on the class", () => {
    assert.equal(everyFieldDeclared, true);
  });

  for (const [code, spec] of Object.entries(runtimeCases)) {
    if ("elsewhere" in spec) continue;
    it(`${spec.claim} is ${code}, with its fields`, async () => {
      const error = await caught(spec.trigger);
      assert.ok(error instanceof WorkflowRuntimeError, String(error));
      assert.equal(error.code, code);
      assertFields(error, spec.fields ?? {});
    });
  }

  it("RunAdmissionError is a WorkflowRuntimeError with code duplicateRunId", async () => {
    const spec = runtimeCases.duplicateRunId as { trigger: () => unknown };
    const error = await caught(spec.trigger);
    assert.ok(error instanceof RunAdmissionError);
    assert.equal(error.code, "duplicateRunId");
  });

  it("carries the policy's error as cause when a retry policy throws", async () => {
    const spec = runtimeCases.retryPolicyFailed as { trigger: () => unknown };
    const error = (await caught(spec.trigger)) as Error;
    assert.ok(error.cause instanceof Error);
    assert.equal(error.cause.message, "policy broke");
  });

  it("builds the message from the fields: a field's value appears in it", async () => {
    const error = (await caught(
      (runtimeCases.unknownStep as { trigger: () => unknown }).trigger,
    )) as WorkflowRuntimeError;
    assert.ok(error.message.includes("`nope`"));
    assert.ok(error.message.includes("`hang`"));
  });
});

describe("error codes: the other classes", () => {
  it("a graph that fails validation is invalidWorkflow, its problems each with a code", async () => {
    const error = await caught(() =>
      new Workflow({ name: "Loose", validate: true })
        .addStep("start", { accepts: StartEvent, emits: Ping }, () => new Ping({ n: 1 }))
        .validate(),
    );
    assert.ok(error instanceof WorkflowValidationError);
    assert.equal(error.code, "invalidWorkflow");
    assert.equal(error.workflowName, "Loose");
    assert.ok(error.problems.length > 0);
    assert.ok(error.problems.every((problem) => typeof problem.code === "string"));
  });

  it("fields that fail the schema are invalidFields, naming the event and the field", async () => {
    const error = await caught(() => new Ping({ n: "one" } as never));
    assert.ok(error instanceof EventValidationError);
    assert.equal(error.code, "invalidFields");
    assert.equal(error.eventType, "Ping");
    assert.deepEqual(
      error.issues.map((issue) => issue.path),
      [["n"]],
    );
  });

  it("a field named like the event's own members is reservedField", async () => {
    const error = await caught(() => Event.define({ toJSON: z.string() }));
    assert.ok(error instanceof EventValidationError);
    assert.equal(error.code, "reservedField");
    assert.equal(error.field, "toJSON");
  });

  it("an event made from a non-object is notAnObject", async () => {
    const error = await caught(() => new Ping(5 as never));
    assert.ok(error instanceof EventValidationError);
    assert.equal(error.code, "notAnObject");
    assert.equal(error.eventType, "Ping");
    assert.equal(error.received, "number 5");
  });

  it("a zod 3 schema in define is zod3, naming the field", async () => {
    const zod3Schema = { _def: { typeName: "ZodNumber" } };
    const error = await caught(() => Event.define({ n: zod3Schema } as never));
    assert.ok(error instanceof EventValidationError);
    assert.equal(error.code, "zod3");
    assert.deepEqual(
      error.issues.map((issue) => issue.path),
      [["n"]],
    );
  });

  it("a run past its timeout is runTimeout, with the timeout and the active steps", async () => {
    const clock = new TestClock();
    const handler = hang(new InMemoryRuntime({ clock })).run();
    await clock.advance(60_000);
    const error = await caught(() => handler);
    assert.ok(error instanceof WorkflowTimeoutError);
    assert.equal(error.code, "runTimeout");
    assertFields(error, { timeout: 60, activeSteps: ["hang"] });
  });

  it("a quiet run past its timeout says what it waits for in waitingFor", async () => {
    const clock = new TestClock();
    const handler = new Workflow({ timeout: 1, runtime: new InMemoryRuntime({ clock }) })
      .addStep("ask", { accepts: StartEvent, emits: StopEvent }, async (_ev, ctx) => {
        await ctx.waitForEvent(Go, { timeout: null });
        return new StopEvent();
      })
      .run();
    await clock.advance(1_000);
    const error = await caught(() => handler);
    assert.ok(error instanceof WorkflowTimeoutError);
    assert.equal(error.code, "runTimeout");
    assert.deepEqual(error.activeSteps, []);
    assert.ok(error.waitingFor?.includes("Go"));
  });

  it("a waitForEvent past its timeout is waitTimeout, naming the event and the step", async () => {
    const clock = new TestClock();
    const handler = new Workflow({ timeout: null, runtime: new InMemoryRuntime({ clock }) })
      .addStep("ask", { accepts: StartEvent, emits: StopEvent }, async (_ev, ctx) => {
        await ctx.waitForEvent(Go, { timeout: 5 });
        return new StopEvent();
      })
      .run();
    await sleep(5);
    await clock.advance(5_000);
    const error = await caught(() => handler);
    assert.ok(error instanceof WorkflowTimeoutError);
    assert.equal(error.code, "waitTimeout");
    assertFields(error, { timeout: 5, eventType: "Go", step: "ask", activeSteps: ["ask"] });
  });

  it("a cancelled run is cancelled", async () => {
    const handler = hang().run();
    await handler.cancel();
    const error = await caught(() => handler);
    assert.ok(error instanceof WorkflowCancelledError);
    assert.equal(error.code, "cancelled");
  });

  it("ctx.signal's reason after a run completed is runEnded with the status", async () => {
    let signal: AbortSignal | undefined;
    await oneStep((_ev, ctx) => {
      signal = ctx.signal;
      return new StopEvent();
    }).run();
    assert.ok(signal?.reason instanceof WorkflowCancelledError);
    assert.equal(signal.reason.code, "runEnded");
    assert.equal(signal.reason.status, "completed");
  });

  it("a snapshot that is not JSON is a SnapshotError with code notJson", async () => {
    const error = await caught(() => Context.fromJSON(echo(), "{ not json"));
    assert.ok(error instanceof SnapshotError);
    assert.equal(error.code, "notJson");
  });

  it("a journal entry that is not a tick is a JournalError with code malformed", async () => {
    const error = await caught(() =>
      decodeTick({ type: "nope" }, createEventRegistry([]), { runId: "r", entry: 3 }),
    );
    assert.ok(error instanceof JournalError);
    assert.equal(error.code, "malformed");
    assertFields(error, { runId: "r", entry: 3 });
  });
});

describe("library checks throw StepwiseErrors only", () => {
  const misuses: [string, () => unknown][] = [
    [
      "@step on a static method",
      () =>
        (step({ accepts: StartEvent, emits: StopEvent }) as (...args: unknown[]) => void)(
          () => null,
          { kind: "method", name: "go", static: true, metadata: {} },
        ),
    ],
    [
      "@catchError on a field",
      () =>
        (catchError() as (...args: unknown[]) => void)(undefined, {
          kind: "field",
          name: "x",
          static: false,
          metadata: {},
        }),
    ],
    [
      "legacy @step on a property",
      () =>
        (step({ accepts: StartEvent, emits: StopEvent }) as (...args: unknown[]) => void)(
          {},
          "prop",
          undefined,
        ),
    ],
    ["waitFixed(NaN)", () => waitFixed(Number.NaN)],
    ["waitExponential({ expBase: 0 })", () => waitExponential({ expBase: 0 })],
    ["waitRandom({ min: 2, max: 1 })", () => waitRandom({ min: 2, max: 1 })],
    ["waitChain(5)", () => waitChain(5 as never)],
    ["waitCombine('x')", () => waitCombine("x" as never)],
    ["stopAfterAttempt(0)", () => stopAfterAttempt(0)],
    ["stopAfterDelay(-1)", () => stopAfterDelay(-1)],
    ["stopBeforeDelay(NaN)", () => stopBeforeDelay(Number.NaN)],
    ["stopAny()", () => stopAny()],
    ["retryAny()", () => retryAny()],
    ["retryIfErrorType('TypeError')", () => retryIfErrorType("TypeError" as never)],
    ["retryIfError(5)", () => retryIfError(5 as never)],
    ["retryIfErrorMessage({})", () => retryIfErrorMessage({} as never)],
    ["retryIfErrorMessage({ match: '(' })", () => retryIfErrorMessage({ match: "(" })],
    ["retryIfErrorMessage({ match: 5 })", () => retryIfErrorMessage({ match: 5 as never })],
    ["retryIfErrorMessage({ message: 5 })", () => retryIfErrorMessage({ message: 5 as never })],
    ["retryPolicy(5)", () => retryPolicy(5 as never)],
    ["retryPolicy({ tries: 3 })", () => retryPolicy({ tries: 3 } as never)],
    ["retryPolicy({ stop: 3 })", () => retryPolicy({ stop: 3 as never })],
    ["new Context(5)", () => new Context(5 as never)],
    ["Context.fromJSON(wf, 42)", () => Context.fromJSON(echo(), 42 as never)],
    ["store.get('')", () => new Context(echo()).store.get("")],
    ["store.get(5)", () => new Context(echo()).store.get(5 as never)],
    ["ctx.runId before a run", () => new Context(echo()).runId],
    ["ctx.signal before a run", () => new Context(echo()).signal],
    ["run() with signal: {}", () => echo().run({}, { signal: {} as never })],
    ["run() with ctx: {}", () => echo().run({}, { ctx: {} as never })],
    ["subscribe({ after: 1.5 })", () => echo().run().subscribe({ after: 1.5 })],
    [
      "streamEvents({ all: true })",
      () =>
        echo()
          .run()
          .streamEvents({ all: true } as never),
    ],
    [
      "addStep without a function",
      () => new Workflow().addStep("x", { accepts: StartEvent, emits: StopEvent }, 5 as never),
    ],
    ["Event.define({ get })", () => Event.define({ get: z.string() })],
    ["an event made from null", () => new Ping(null as never)],
    [
      "waitForEvent with timeout -1 in a step",
      () =>
        oneStep(async (_ev, ctx) => {
          await ctx.waitForEvent(Go, { timeout: -1 });
        }).run(),
    ],
    [
      "ctx.writeEventToStream of a string in a step",
      () =>
        oneStep((_ev, ctx) => {
          ctx.writeEventToStream("hello" as never);
          return new StopEvent();
        }).run(),
    ],
    [
      "ctx.sendEvent of a number in a step",
      () =>
        oneStep((_ev, ctx) => {
          ctx.sendEvent(1 as never);
          return new StopEvent();
        }).run(),
    ],
  ];

  for (const [what, misuse] of misuses) {
    it(`${what} throws a StepwiseError with a code`, async () => {
      const error = await caught(misuse);
      assert.ok(error instanceof StepwiseError, `${what}: ${String(error)}`);
      assert.equal(typeof error.code, "string");
      assert.ok(error.code.length > 0);
    });
  }
});
