/**
 * What a snapshot round trip does to the values events carry: what JSON cannot carry as it is
 * (maps, sets, dates, errors, bigints, `undefined`, `NaN`) comes back as it was; a user's own
 * object that looks like one of the codec's tags comes back as that object; what cannot come
 * back (functions, symbols, class instances) is refused when the snapshot is written.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Context,
  Event,
  InMemoryRuntime,
  SnapshotError,
  StartEvent,
  StopEvent,
  step,
  TestClock,
  Workflow,
} from "@stepwise/core";
import { z } from "zod";

const NEVER = new Promise<never>(() => {});

/** A one-step workflow: the first run hangs holding its start event; a resumed one returns `value`. */
function echoWorkflow(clock: TestClock, hangs: boolean) {
  class Echo extends Workflow {
    @step({ accepts: StartEvent, emits: StopEvent })
    async echo(ev: StartEvent) {
      if (hangs) await NEVER;
      return new StopEvent({ result: ev.value });
    }
  }
  return new Echo({ runtime: new InMemoryRuntime({ clock }) });
}

/** Starts a run with `value` in its start event, snapshots it mid-run (through real JSON), resumes it elsewhere. */
async function roundTrip(value: unknown): Promise<unknown> {
  const clock = new TestClock();
  const handler = echoWorkflow(clock, true).run({ value });
  await clock.advance(0);
  const snapshot = JSON.parse(JSON.stringify(handler.ctx.toJSON()));
  await handler.cancel();
  const wf = echoWorkflow(clock, false);
  return await wf.run(undefined, { ctx: Context.fromJSON(wf, snapshot) });
}

/** The error `toJSON()` throws for a run holding `value` in its start event. */
async function snapshotError(value: unknown): Promise<SnapshotError> {
  const clock = new TestClock();
  const handler = echoWorkflow(clock, true).run({ value });
  await clock.advance(0);
  try {
    handler.ctx.toJSON();
    assert.fail("the snapshot was written");
  } catch (error) {
    assert.ok(error instanceof SnapshotError, `got ${String(error)}`);
    return error;
  } finally {
    await handler.cancel();
  }
}

describe("values in a snapshot round trip", () => {
  it("brings back Map and Set fields as a Map and a Set", async () => {
    const value = {
      index: new Map<unknown, unknown>([
        ["a", 1],
        [2, { b: [3] }],
      ]),
      tags: new Set(["x", 1]),
    };
    const back = (await roundTrip(value)) as typeof value;
    assert.ok(back.index instanceof Map);
    assert.ok(back.tags instanceof Set);
    assert.deepEqual(back, value);
  });

  it("brings back a user's object shaped like a date tag as that object, not a Date", async () => {
    const value = { $stepwise: "date", iso: "2020-01-01T00:00:00.000Z" };
    assert.deepEqual(await roundTrip(value), value);
  });

  it("brings back a user's object shaped like an error tag as that object, not an Error", async () => {
    const value = { $stepwise: "error", name: "TypeError", message: "not really" };
    assert.deepEqual(await roundTrip(value), value);
  });

  it("brings back a user's object shaped like the codec's escape as that object", async () => {
    const value = {
      $stepwise: "object",
      value: { $stepwise: "event", type: "StartEvent", data: {} },
    };
    assert.deepEqual(await roundTrip(value), value);
  });

  it("keeps undefined in an array and in an object's field", async () => {
    const back = (await roundTrip({ list: [1, undefined, 3], field: undefined })) as {
      list: unknown[];
    };
    assert.deepEqual(back, { list: [1, undefined, 3], field: undefined });
    assert.ok(Object.hasOwn(back, "field"));
  });

  it("brings back bigints, NaN, infinities and negative zero", async () => {
    const value = [
      10n ** 30n,
      -5n,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -0,
    ];
    const back = (await roundTrip(value)) as unknown[];
    assert.deepEqual(back, value);
    assert.ok(Object.is(back[5], -0));
  });

  it("brings back dates, an invalid date included", async () => {
    const back = (await roundTrip([new Date(86_400_000), new Date(Number.NaN)])) as Date[];
    assert.ok(back[0] instanceof Date && back[0].getTime() === 86_400_000);
    assert.ok(back[1] instanceof Date && Number.isNaN(back[1].getTime()));
  });

  const builtIns = [
    TypeError,
    RangeError,
    SyntaxError,
    EvalError,
    URIError,
    ReferenceError,
  ] as const;
  for (const ErrorClass of builtIns) {
    it(`brings back ${ErrorClass.name} as its own class, with its message, cause and own fields`, async () => {
      const error = Object.assign(new ErrorClass("broken", { cause: new Error("root") }), {
        code: "E_BROKEN",
        details: { attempt: 2 },
      });
      const back = (await roundTrip(error)) as Error & { code: string; details: unknown };
      assert.ok(back instanceof ErrorClass, `got ${Object.prototype.toString.call(back)}`);
      assert.equal(back.name, ErrorClass.name);
      assert.equal(back.message, "broken");
      assert.ok(back.cause instanceof Error && back.cause.message === "root");
      assert.equal(back.code, "E_BROKEN");
      assert.deepEqual(back.details, { attempt: 2 });
      assert.equal(back.stack, error.stack);
    });
  }

  it("brings back an AggregateError with its errors", async () => {
    const back = (await roundTrip(
      new AggregateError([new TypeError("a"), "b"], "both"),
    )) as AggregateError;
    assert.ok(back instanceof AggregateError);
    assert.equal(back.message, "both");
    assert.ok(back.errors[0] instanceof TypeError);
    assert.equal(back.errors[1], "b");
  });

  it("brings back an error of the user's own class as an error of its nearest built-in class, with its name", async () => {
    class QuotaError extends RangeError {
      override name = "QuotaError";
    }
    const back = (await roundTrip(new QuotaError("over quota"))) as Error;
    assert.ok(back instanceof RangeError);
    assert.equal(back.name, "QuotaError");
    assert.equal(back.message, "over quota");
  });

  it("leaves out an error's fields that cannot be written, keeping the error", async () => {
    const error = Object.assign(new Error("with a callback"), { retry: () => 1, attempt: 3 });
    const back = (await roundTrip(error)) as Error & { attempt: number };
    assert.equal(back.message, "with a callback");
    assert.equal(back.attempt, 3);
    assert.equal(Object.hasOwn(back, "retry"), false);
  });

  it("brings back an event nested in a field as an event of its class", async () => {
    const back = (await roundTrip({ inner: new StartEvent({ topic: "nested" }) })) as {
      inner: StartEvent;
    };
    assert.ok(back.inner instanceof StartEvent);
    assert.equal(back.inner.topic, "nested");
  });

  it("keeps a field named __proto__ as a field, without changing the object's prototype", async () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}');
    const back = (await roundTrip(value)) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.ok(Object.hasOwn(back, "__proto__"));
    assert.equal(back.polluted, undefined);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("revives typed event fields through their schema (a z.map field gets a Map)", async () => {
    class Indexed extends Event.define({ index: z.map(z.string(), z.number()) }) {}
    const clock = new TestClock();
    const make = (hangs: boolean) => {
      class Indexing extends Workflow {
        @step({ accepts: StartEvent, emits: Indexed })
        async begin() {
          return new Indexed({ index: new Map([["a", 1]]) });
        }

        @step({ accepts: Indexed, emits: StopEvent })
        async use(ev: Indexed) {
          if (hangs) await NEVER;
          return new StopEvent({ result: ev.index.get("a") });
        }
      }
      return new Indexing({ runtime: new InMemoryRuntime({ clock }) });
    };
    const handler = make(true).run();
    await clock.advance(0);
    const snapshot = JSON.parse(JSON.stringify(handler.ctx.toJSON()));
    await handler.cancel();
    const wf = make(false);
    assert.equal(await wf.run(undefined, { ctx: Context.fromJSON(wf, snapshot) }), 1);
  });
});

describe("values a snapshot cannot carry", () => {
  it("refuses a class instance in an event field when the snapshot is written, naming the field", async () => {
    class Point {
      x = 1;
    }
    const error = await snapshotError({ where: [new Point()] });
    assert.equal(error.code, "unserializable");
    assert.equal(error.path, "value.where[0]");
    assert.match(error.message, /`value\.where\[0\]`.*Point/);
  });

  it("refuses a symbol in an event field", async () => {
    const error = await snapshotError({ tag: Symbol("tag") });
    assert.equal(error.path, "value.tag");
  });

  it("refuses a store holding undefined in an array, which JSON would turn into null", async () => {
    class Storing extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async store(_ev: StartEvent, ctx: Context) {
        await ctx.store.set("list", [1, undefined]);
        return new StopEvent();
      }
    }
    const handler = new Storing({ runtime: new InMemoryRuntime({ clock: new TestClock() }) }).run();
    await handler;
    assert.throws(
      () => handler.ctx.toJSON(),
      (error: unknown) =>
        error instanceof SnapshotError &&
        error.code === "unserializable" &&
        error.key === "list" &&
        error.path === "list[1]",
    );
  });

  it("writes a snapshot that later changes to the store do not reach", async () => {
    class Storing extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async store(_ev: StartEvent, ctx: Context) {
        await ctx.store.set("items", [1]);
        return new StopEvent();
      }
    }
    const handler = new Storing({ runtime: new InMemoryRuntime({ clock: new TestClock() }) }).run();
    await handler;
    const snapshot = handler.ctx.toJSON();
    await handler.ctx.store.edit((state) => {
      state.items.push(2);
    });
    assert.deepEqual(snapshot.store.items, [1]);
  });
});
