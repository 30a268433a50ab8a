/**
 * What an adversarial review broke: values that cannot be printed, loggers that throw, steps that
 * never wait on I/O, long timeouts, retry policies that answer nonsense, contexts of another
 * workflow, and the smaller misuses of streams, signals and run ids.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import {
  Context,
  type Context as Ctx,
  catchError,
  Event,
  EventValidationError,
  HumanResponseEvent,
  InputRequiredEvent,
  StartEvent,
  type StepFailedEvent,
  StopEvent,
  step,
  Workflow,
  WorkflowCancelledError,
  WorkflowRuntimeError,
  WorkflowTimeoutError,
} from "@stepwise/core";
import { systemClock } from "@stepwise/core/runtime";
import { z } from "zod";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Records unhandled rejections and process warnings while a test runs. */
const seen = { rejections: [] as unknown[], warnings: [] as Error[] };
const onRejection = (reason: unknown) => seen.rejections.push(reason);
const onWarning = (warning: Error) => seen.warnings.push(warning);
beforeEach(() => {
  seen.rejections = [];
  seen.warnings = [];
  process.on("unhandledRejection", onRejection);
  process.on("warning", onWarning);
});
afterEach(() => {
  process.off("unhandledRejection", onRejection);
  process.off("warning", onWarning);
});

/** An object that no conversion can print: null prototype, a cycle, no toString. */
function unprintableCycle(): object {
  const value = Object.create(null) as Record<string, unknown>;
  value.self = value;
  return value;
}

/** An object whose `toString` and `toJSON` both throw. */
function hostileObject(): object {
  return {
    toString() {
      throw new Error("no toString for you");
    },
    toJSON() {
      throw new Error("no toJSON either");
    },
  };
}

function throwingFlow(thrown: () => unknown, sync: boolean) {
  const wf = new Workflow({ timeout: null });
  if (sync) {
    wf.addStep("boom", { accepts: StartEvent, emits: StopEvent }, (_ev: StartEvent) => {
      throw thrown();
    });
  } else {
    wf.addStep("boom", { accepts: StartEvent, emits: StopEvent }, async (_ev: StartEvent) => {
      throw thrown();
    });
  }
  return wf;
}

describe("a step that throws an unprintable value", () => {
  for (const [label, thrown] of [
    ["a null-prototype object with a cycle", unprintableCycle],
    ["an object whose toString and toJSON throw", hostileObject],
  ] as const) {
    for (const sync of [false, true]) {
      it(`fails the run with a readable message: ${label}, thrown ${sync ? "synchronously" : "from an async step"}`, async () => {
        const wf = throwingFlow(thrown, sync);
        await assert.rejects(wf.run(), (error: Error) => {
          assert.match(error.message, /^Non-error value thrown: /);
          assert.doesNotMatch(error.message, /engine failed/);
          return true;
        });
        await sleep(0);
        assert.deepEqual(seen.rejections, []);
      });
    }
  }

  it("is handed to a @catchError handler like any other failure", async () => {
    class Caught extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async boom(): Promise<StopEvent> {
        throw unprintableCycle();
      }

      @catchError({ emits: StopEvent })
      async recover(ev: StepFailedEvent) {
        return new StopEvent({ result: `caught: ${ev.error.message.slice(0, 22)}` });
      }
    }
    assert.equal(await new Caught().run(), "caught: Non-error value thrown");
  });

  it("fails the run cleanly when the @catchError handler itself throws one", async () => {
    class CatchThrows extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async boom(): Promise<StopEvent> {
        throw new Error("first");
      }

      @catchError({ emits: StopEvent })
      async recover(_ev: StepFailedEvent): Promise<StopEvent> {
        throw hostileObject();
      }
    }
    await assert.rejects(new CatchThrows({ timeout: null }).run(), /^Error: Non-error value/);
    await sleep(0);
    assert.deepEqual(seen.rejections, []);
  });

  it("fails the run cleanly when an Error's own message getter throws", async () => {
    const wf = throwingFlow(() => {
      const error = new Error("x");
      Object.defineProperty(error, "message", {
        get() {
          throw new Error("getter");
        },
      });
      return error;
    }, false);
    await assert.rejects(wf.run(), (error: unknown) => error instanceof Error);
    await sleep(0);
    assert.deepEqual(seen.rejections, []);
  });
});

class Ping extends Event.define({ n: z.number() }) {}
class Answer extends HumanResponseEvent.define({ response: z.string() }) {}

function chainFlow(options: { hops: number; timeout: number | null; sync?: boolean }) {
  const wf = new Workflow({ timeout: options.timeout, trace: false });
  const next = (n: number) =>
    n >= options.hops ? new StopEvent({ result: n }) : new Ping({ n: n + 1 });
  wf.addStep(
    "start",
    { accepts: StartEvent, emits: Ping },
    (_ev: StartEvent) => new Ping({ n: 0 }),
  );
  if (options.sync) {
    wf.addStep("hop", { accepts: Ping, emits: [Ping, StopEvent] }, (ev: Ping) => next(ev.n));
  } else {
    wf.addStep("hop", { accepts: Ping, emits: [Ping, StopEvent] }, async (ev: Ping) => next(ev.n));
  }
  return wf;
}

describe("a logger that throws", () => {
  it("does not hang the run or cancel(), and is reported once", async () => {
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (line: string) => warnings.push(line);
    try {
      const wf = chainFlow({ hops: 5, timeout: null });
      const noisy = new Workflow({
        verbose: true,
        timeout: null,
        logger: () => {
          throw new Error("disk full");
        },
      });
      noisy.addStep("wait", { accepts: StartEvent, emits: StopEvent }, async (_e, ctx: Ctx) => {
        await ctx.waitForEvent(HumanResponseEvent, { timeout: null });
        return new StopEvent({});
      });
      const handler = noisy.run();
      await sleep(5);
      await handler.cancel();
      await assert.rejects(handler, WorkflowCancelledError);
      assert.equal(await wf.run(), 5);
    } finally {
      console.warn = warn;
    }
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /logger.*threw \(disk full\)/);
  });

  it("lets a verbose run finish with its result when it throws on every line", async () => {
    const warn = console.warn;
    console.warn = () => {};
    try {
      const wf = new Workflow({
        verbose: true,
        logger: () => {
          throw new Error("always");
        },
      });
      wf.addStep(
        "only",
        { accepts: StartEvent, emits: StopEvent },
        () => new StopEvent({ result: 1 }),
      );
      assert.equal(await wf.run(), 1);
    } finally {
      console.warn = warn;
    }
  });
});

describe("steps that never wait on I/O", () => {
  it("still time out: an endless async chain with timeout 0.2 s", async () => {
    const wf = chainFlow({ hops: Number.MAX_SAFE_INTEGER, timeout: 0.2 });
    await assert.rejects(wf.run(), WorkflowTimeoutError);
  });

  it("still time out: an endless chain of synchronous steps", async () => {
    const wf = chainFlow({ hops: Number.MAX_SAFE_INTEGER, timeout: 0.2, sync: true });
    await assert.rejects(wf.run(), WorkflowTimeoutError);
  });

  it("can be cancelled from a timer while they loop", async () => {
    const wf = new Workflow({ timeout: null, trace: false, validate: false });
    wf.addStep(
      "spin",
      { accepts: [StartEvent, Ping], emits: Ping },
      (_ev: StartEvent | Ping) => new Ping({ n: 0 }),
    );
    wf.addStep("never", { accepts: HumanResponseEvent, emits: StopEvent }, () => new StopEvent({}));
    const handler = wf.run();
    setTimeout(() => void handler.cancel(), 30);
    await assert.rejects(handler, WorkflowCancelledError);
  });

  it("let other runs make progress meanwhile", async () => {
    const busy = chainFlow({ hops: Number.MAX_SAFE_INTEGER, timeout: null, sync: true });
    const handler = busy.run();
    const quick = new Workflow();
    quick.addStep("io", { accepts: StartEvent, emits: StopEvent }, async () => {
      await sleep(1);
      return new StopEvent({ result: "done" });
    });
    assert.equal(await quick.run(), "done");
    await handler.cancel();
  });
});

describe("long timeouts", () => {
  it("a run timeout of 35 days does not fire at once", async () => {
    const wf = new Workflow({ timeout: 3e6 });
    wf.addStep("wait", { accepts: StartEvent, emits: StopEvent }, async (_e, ctx: Ctx) => {
      const answer = await ctx.waitForEvent(Answer, { timeout: 1e7 });
      return new StopEvent({ result: answer.response });
    });
    const handler = wf.run();
    await sleep(60);
    assert.equal(handler.isDone(), false);
    handler.sendEvent(new Answer({ response: "late but fine" }));
    assert.equal(await handler, "late but fine");
    assert.deepEqual(
      seen.warnings.filter((w) => w.name === "TimeoutOverflowWarning"),
      [],
    );
  });

  it("the system clock chains timers longer than 2^31 ms, and clears them", async () => {
    let fired = false;
    const handle = systemClock.setTimeout(() => {
      fired = true;
    }, 3e9);
    await sleep(30);
    assert.equal(fired, false);
    systemClock.clearTimeout(handle);
    assert.deepEqual(
      seen.warnings.filter((w) => w.name === "TimeoutOverflowWarning"),
      [],
    );
  });

  it("waitForEvent refuses an infinite timeout, pointing at null", async () => {
    const wf = new Workflow();
    wf.addStep("wait", { accepts: StartEvent, emits: StopEvent }, async (_e, ctx: Ctx) => {
      await ctx.waitForEvent(HumanResponseEvent, { timeout: Number.POSITIVE_INFINITY });
      return new StopEvent({});
    });
    await assert.rejects(wf.run(), /finite number of seconds >= 0, or null/);
  });
});

describe("a custom retry policy's answer", () => {
  for (const [label, answer] of [
    ["NaN", Number.NaN],
    ["a promise", Promise.resolve(1)],
    ["an object", {}],
    ["-1", -1],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["a string", "1"],
  ] as const) {
    it(`is refused when it is ${label}: the run fails once, naming the step`, async () => {
      let calls = 0;
      const wf = new Workflow();
      wf.addStep(
        "flaky",
        { accepts: StartEvent, emits: StopEvent, retry: { next: () => answer as never } },
        async (): Promise<StopEvent> => {
          calls++;
          throw new Error("nope");
        },
      );
      await assert.rejects(wf.run(), (error: unknown) => {
        assert.ok(error instanceof WorkflowRuntimeError);
        assert.match(error.message, /retry policy of step `flaky` returned .*finite number >= 0/);
        assert.match(error.message, /own error was: nope/);
        return true;
      });
      assert.equal(calls, 1);
    });
  }

  it("of a huge delay schedules the retry instead of firing it at once", async () => {
    let calls = 0;
    const wf = new Workflow({ timeout: null });
    wf.addStep(
      "flaky",
      { accepts: StartEvent, emits: StopEvent, retry: { next: () => 1e10 } },
      async (): Promise<StopEvent> => {
        calls++;
        throw new Error("nope");
      },
    );
    const handler = wf.run();
    await sleep(40);
    assert.equal(calls, 1);
    assert.equal(handler.isDone(), false);
    await handler.cancel();
  });
});

class FlowA extends Workflow {
  @step({ accepts: StartEvent, emits: StopEvent })
  async a() {
    return new StopEvent({ result: "a" });
  }
}

class FlowB extends Workflow {
  @step({ accepts: StartEvent, emits: StopEvent })
  async b() {
    return new StopEvent({ result: "b" });
  }
}

describe("a context of another workflow", () => {
  it("is refused by run(): new Context(A) passed to B", () => {
    const ctx = new Context(new FlowA());
    assert.throws(() => new FlowB().run({}, { ctx }), /made for workflow `FlowA`, not `FlowB`/);
  });

  it("is refused by run(): a snapshot restored for A passed to B", async () => {
    const a = new FlowA();
    const handler = a.run();
    await handler;
    const ctx = Context.fromJSON(a, handler.ctx.toJSON());
    assert.throws(() => new FlowB().run({}, { ctx }), WorkflowRuntimeError);
  });

  it("is accepted from another instance of the same workflow class", async () => {
    const ctx = new Context(new FlowA());
    assert.equal(await new FlowA().run({}, { ctx }), "a");
  });
});

describe("smaller misuses", () => {
  it("a second for-await over one streamEvents() iterable is an error, not a hang", async () => {
    const handler = new FlowA().run();
    const stream = handler.streamEvents();
    const first: Event[] = [];
    for await (const ev of stream) first.push(ev);
    assert.equal(first.length, 1);
    assert.throws(() => stream[Symbol.asyncIterator](), /already being iterated/);
  });

  it("a signal that is not an AbortSignal is refused before the run id is taken", async () => {
    const wf = new FlowA();
    assert.throws(
      () => wf.run({}, { runId: "same-id", signal: {} as AbortSignal }),
      (error) =>
        error instanceof WorkflowRuntimeError &&
        error.code === "invalidOption" &&
        error.option === "signal" &&
        /`signal` of `run\(\)` must be an AbortSignal/.test(error.message),
    );
    assert.equal(await wf.run({}, { runId: "same-id" }), "a");
  });

  for (const runId of ["", 123, {}]) {
    it(`runId ${JSON.stringify(runId)} is refused`, () => {
      assert.throws(
        () => new FlowA().run({}, { runId: runId as string }),
        (error) =>
          error instanceof WorkflowRuntimeError &&
          error.code === "invalidOption" &&
          error.option === "runId" &&
          /`runId` of `run\(\)` must be a non-empty string/.test(error.message),
      );
    });
  }

  for (const field of ["then", "toString"]) {
    it(`an event field named \`${field}\` is reserved`, () => {
      assert.throws(() => Event.define({ [field]: z.string() }), EventValidationError);
      assert.throws(() => new StartEvent({ [field]: "x" }), EventValidationError);
    });
  }

  it("a wait raced against a timer fails the run with advice instead of hanging", async () => {
    let bodies = 0;
    let maxBodies = 0;
    const wf = new Workflow({ timeout: 5 });
    wf.addStep(
      "racer",
      { accepts: StartEvent, emits: StopEvent },
      async (_ev: StartEvent, ctx: Ctx) => {
        bodies++;
        maxBodies = Math.max(maxBodies, bodies);
        try {
          await Promise.race([ctx.waitForEvent(HumanResponseEvent), sleep(5)]);
          return new StopEvent({ result: "raced" });
        } finally {
          bodies--;
        }
      },
    );
    await assert.rejects(wf.run(), (error: unknown) => {
      assert.ok(error instanceof WorkflowRuntimeError);
      assert.match(
        error.message,
        /Step `racer` returned after `ctx.waitForEvent\(\)` had parked it/,
      );
      assert.match(error.message, /pass `\{ timeout \}`/);
      return true;
    });
    assert.equal(maxBodies, 1);
  });

  it("events stop being kept for a stream consumer that has left", async () => {
    const refs: WeakRef<Event>[] = [];
    const wf = new Workflow({ timeout: null });
    wf.addStep("talk", { accepts: StartEvent, emits: StopEvent }, async (_e, ctx: Ctx) => {
      await sleep(5);
      for (let i = 0; i < 100; i++) {
        const ev = new InputRequiredEvent({ prefix: `line ${i}` });
        refs.push(new WeakRef(ev));
        ctx.writeEventToStream(ev);
      }
      return new StopEvent({ result: "ok" });
    });
    const handler = wf.run();
    for await (const _ev of handler.streamEvents()) break;
    assert.equal(await handler, "ok");
    await sleep(0);
    gc();
    // Before the fix all 100 stayed in the stream's buffer; a stray one may stay reachable from
    // a register or the last closure, whatever the stream does.
    assert.ok(refs.filter((ref) => ref.deref() !== undefined).length <= 1);
    assert.ok(handler.isDone());
  });

  it("one AbortSignal shared by 20 concurrent runs adds one listener and cancels them all", async () => {
    const controller = new AbortController();
    const wf = new Workflow({ timeout: null });
    wf.addStep("wait", { accepts: StartEvent, emits: StopEvent }, async (_e, ctx: Ctx) => {
      await ctx.waitForEvent(HumanResponseEvent, { timeout: null });
      return new StopEvent({});
    });
    const handlers = Array.from({ length: 20 }, () => wf.run({}, { signal: controller.signal }));
    await sleep(5);
    controller.abort();
    for (const handler of handlers) await assert.rejects(handler, WorkflowCancelledError);
    await sleep(0);
    assert.deepEqual(
      seen.warnings.filter((w) => w.name === "MaxListenersExceededWarning"),
      [],
    );
  });
});

describe("a run that goes quiet", () => {
  it("says at once in verbose output what it waits for", async () => {
    const lines: string[] = [];
    const wf = new Workflow({ verbose: true, logger: (line) => lines.push(line), timeout: null });
    wf.addStep("ask", { accepts: StartEvent, emits: StopEvent }, async (_e, ctx: Ctx) => {
      await ctx.waitForEvent(Answer);
      return new StopEvent({});
    });
    const handler = wf.run();
    await sleep(10);
    assert.ok(
      lines.some((l) =>
        /^\[idle\] .*waiting for an event from outside: Answer \(step `ask`\)/.test(l),
      ),
      lines.join("\n"),
    );
    await handler.cancel();
  });

  it("times out naming the step that returned nothing, not advising a longer timeout alone", async () => {
    const wf = new Workflow({ timeout: 0.05 });
    wf.addStep("first", { accepts: StartEvent, emits: Ping }, async () => {
      // forgot to return new Ping(...)
    });
    wf.addStep("second", { accepts: Ping, emits: StopEvent }, () => new StopEvent({}));
    await assert.rejects(wf.run(), (error: unknown) => {
      assert.ok(error instanceof WorkflowTimeoutError);
      assert.match(
        error.message,
        /No steps active: nothing can move the run: step `first` returned no event although it declares `emits`/,
      );
      return true;
    });
  });

  it("times out naming the event a waiting step waits for", async () => {
    const wf = new Workflow({ timeout: 0.05 });
    wf.addStep("ask", { accepts: StartEvent, emits: StopEvent }, async (_e, ctx: Ctx) => {
      await ctx.waitForEvent(Answer, { timeout: null });
      return new StopEvent({});
    });
    await assert.rejects(wf.run(), /waiting for an event from outside: Answer \(step `ask`\)/);
  });

  it("streamEvents refuses an unknown option", () => {
    const handler = new FlowA().run();
    assert.throws(
      () => handler.streamEvents({ includeInternals: true } as never),
      /Unknown option `includeInternals` of `streamEvents\(\)`/,
    );
  });
});
