import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Context,
  Context as ContextClass,
  Event,
  StartEvent,
  StopEvent,
  step,
  Workflow,
  WorkflowRuntimeError,
} from "@stepwise/core";
import { z } from "zod";

class Go extends Workflow {
  @step({ accepts: StartEvent, emits: StopEvent })
  async go(_ev: StartEvent, ctx: Context) {
    return new StopEvent({ result: ctx.store.get("seed", "none") });
  }
}

function storeOf() {
  return new ContextClass(new Go()).store;
}

describe("ctx.store", () => {
  it("reads and writes dot paths through objects and list indices", async () => {
    const store = storeOf();
    await store.set("user.name", "ada");
    await store.set("items", [{ id: 1 }, { id: 2 }]);
    assert.equal(store.get("user.name"), "ada");
    assert.equal(store.get("items.1.id"), 2);
  });

  it("throws for a missing path without a default, and returns the default otherwise", () => {
    const store = storeOf();
    assert.throws(() => store.get("a.b"), /Path `a.b` not found in the store/);
    assert.equal(store.get("a.b", 5), 5);
    assert.equal(store.get("a.b", undefined), undefined);
  });

  it("refuses an empty path", async () => {
    await assert.rejects(storeOf().set("", 1), /Store path cannot be empty/);
  });

  it("serializes edits so concurrent read-modify-writes never interleave", async () => {
    const store = storeOf();
    await store.set("count", 0);
    await Promise.all(
      Array.from({ length: 20 }, () =>
        store.edit(async (state: { count: number }) => {
          const before = state.count;
          await new Promise((resolve) => setTimeout(resolve, 0));
          state.count = before + 1;
        }),
      ),
    );
    assert.equal(store.get("count"), 20);
  });

  it("lets edit() return a new state", async () => {
    const store = storeOf();
    await store.edit(() => ({ replaced: true }));
    assert.deepEqual(store.getState(), { replaced: true });
  });

  it("carries a store seeded before the run into it", async () => {
    const wf = new Go();
    const ctx = new ContextClass(wf);
    await ctx.store.set("seed", "planted");
    assert.equal(await wf.run({}, { ctx }), "planted");
  });

  it("accumulates state when one context is reused across runs", async () => {
    const wf = new Workflow().addStep(
      "count",
      { accepts: StartEvent, emits: StopEvent },
      async (_ev, ctx) => {
        await ctx.store.edit((s: { n?: number }) => {
          s.n = (s.n ?? 0) + 1;
        });
        return new StopEvent({ result: ctx.store.get("n") });
      },
    );
    const ctx = new ContextClass(wf);
    assert.equal(await wf.run({}, { ctx }), 1);
    assert.equal(await wf.run({}, { ctx }), 2);
    assert.equal(await wf.run({}, { ctx }), 3);
  });

  it("refuses to start a run with a context that is running", async () => {
    const wf = new Workflow().addStep(
      "wait",
      { accepts: StartEvent, emits: StopEvent },
      async (_ev, ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        return new StopEvent();
      },
    );
    const ctx = new ContextClass(wf);
    const first = wf.run({}, { ctx });
    assert.throws(
      () => wf.run({}, { ctx }),
      /Cannot start a new run while context is already running/,
    );
    await first.cancel();
  });
});

describe("typed state", () => {
  const schema = z.object({ count: z.number().default(0), tags: z.array(z.string()).default([]) });

  class Counter extends Workflow {
    static override state = schema;
    @step({ accepts: StartEvent, emits: StopEvent })
    async go(_ev: StartEvent, ctx: Context<z.infer<typeof schema>>) {
      await ctx.store.edit((state) => {
        state.count += 1;
      });
      return new StopEvent({ result: ctx.store.getState() });
    }
  }

  it("starts from the schema's defaults", async () => {
    assert.deepEqual(await new Counter().run(), { count: 1, tags: [] });
  });

  it("validates setState against the schema", async () => {
    const store = new ContextClass(new Counter()).store;
    await assert.rejects(store.setState({ count: "x" } as never), /does not match its schema/);
    await store.setState({ count: 3, tags: ["a"] });
    assert.equal(store.get("count"), 3);
  });

  it("clear() goes back to the defaults", async () => {
    const store = new ContextClass(new Counter()).store;
    await store.set("count", 9);
    await store.clear();
    assert.deepEqual(store.getState(), { count: 0, tags: [] });
  });

  it("takes the schema from the `state` option too", async () => {
    const wf = new Workflow({ state: z.object({ hits: z.number().default(5) }) }).addStep(
      "go",
      { accepts: StartEvent, emits: StopEvent },
      (_ev, ctx) => new StopEvent({ result: ctx.store.get("hits") }),
    );
    assert.equal(await wf.run(), 5);
  });

  it("refuses a schema without defaults for every field", () => {
    const wf = new Workflow({ state: z.object({ needed: z.string() }) }).addStep(
      "go",
      { accepts: StartEvent, emits: StopEvent },
      () => new StopEvent(),
    );
    assert.throws(() => new ContextClass(wf), /must give a default for every field/);
  });
});

describe("ctx.sendEvent()", () => {
  it("throws before the run has started", () => {
    const ctx = new ContextClass(new Go());
    assert.throws(() => ctx.sendEvent(new StartEvent({})), /called before the workflow started/);
  });

  it("sends to one step only when `step` is given", async () => {
    class Ping extends Event.define({}) {}
    const hits: string[] = [];
    const wf = new Workflow()
      .addStep("start", { accepts: StartEvent, emits: Ping }, (_ev, ctx) => {
        ctx.sendEvent(new Ping(), { step: "second" });
        return null;
      })
      .addStep("first", { accepts: Ping, emits: StopEvent }, () => {
        hits.push("first");
        return new StopEvent();
      })
      .addStep("second", { accepts: Ping, emits: StopEvent }, () => {
        hits.push("second");
        return new StopEvent();
      });
    await wf.run();
    assert.deepEqual(hits, ["second"]);
  });

  it("throws synchronously in the step for an unknown target", async () => {
    class Ping extends Event.define({}) {}
    const wf = new Workflow().addStep(
      "start",
      { accepts: StartEvent, emits: [Ping, StopEvent] },
      (_ev, ctx) => {
        try {
          ctx.sendEvent(new Ping(), { step: "ghost" });
        } catch (error) {
          return new StopEvent({ result: (error as Error).message });
        }
        return new StopEvent();
      },
    );
    wf.addStep("sink", { accepts: Ping }, () => null);
    assert.match(await wf.run(), /Step `ghost` does not exist/);
  });
});

describe("step-only methods", () => {
  it("refuse to run from handler code", async () => {
    const handler = new Go().run();
    assert.throws(
      () => handler.ctx.collectEvents(new StartEvent({}), []),
      /only available from within step functions/,
    );
    assert.throws(() => handler.ctx.writeEventToStream(new StartEvent({})), WorkflowRuntimeError);
    assert.throws(() => handler.ctx.retryInfo(), WorkflowRuntimeError);
    await handler;
  });
});

describe("ctx.collectEvents()", () => {
  class Result extends Event.define({ source: z.string() }) {}
  class Other extends Event.define({ n: z.number() }) {}

  it("returns null until every expected event arrived, then the events in expected order", async () => {
    const calls: (string[] | null)[] = [];
    const expected = [Other, Result, Result] as const;
    const wf = new Workflow()
      .addStep("fan", { accepts: StartEvent, emits: [Result, Other] }, (_ev, ctx) => {
        ctx.sendEvent(new Result({ source: "r1" }));
        ctx.sendEvent(new Result({ source: "r2" }));
        ctx.sendEvent(new Other({ n: 1 }));
        return null;
      })
      .addStep(
        "gather",
        { accepts: [Result, Other], emits: StopEvent, numWorkers: 1 },
        (ev, ctx) => {
          const all = ctx.collectEvents(ev, expected);
          calls.push(all ? all.map((e) => (e instanceof Result ? e.source : `n${e.n}`)) : null);
          return all ? new StopEvent({ result: "ok" }) : null;
        },
      );
    assert.equal(await wf.run(), "ok");
    assert.deepEqual(calls, [null, null, ["n1", "r1", "r2"]]);
  });

  it("returns [] for an empty expectation", async () => {
    const wf = new Workflow().addStep(
      "go",
      { accepts: StartEvent, emits: StopEvent },
      (ev, ctx) => {
        return new StopEvent({ result: ctx.collectEvents(ev, []) });
      },
    );
    assert.deepEqual(await wf.run(), []);
  });

  it("keeps a separate buffer per step", async () => {
    const expected = [Result, Result];
    const results: string[] = [];
    const wf = new Workflow()
      .addStep("fan", { accepts: StartEvent, emits: Result }, (_ev, ctx) => {
        ctx.sendEvent(new Result({ source: "a" }));
        ctx.sendEvent(new Result({ source: "b" }));
        return null;
      })
      .addStep("left", { accepts: Result, emits: StopEvent }, (ev, ctx) => {
        const all = ctx.collectEvents(ev, expected);
        if (all) results.push(`left:${all.map((e) => e.source).join("")}`);
        return null;
      })
      .addStep("right", { accepts: Result, emits: StopEvent }, async (ev, ctx) => {
        const all = ctx.collectEvents(ev, expected);
        if (!all) return null;
        await new Promise((resolve) => setTimeout(resolve, 1));
        results.push(`right:${all.map((e) => e.source).join("")}`);
        return new StopEvent();
      });
    await wf.run();
    assert.deepEqual(results.sort(), ["left:ab", "right:ab"]);
  });
});

describe("ctx.signal", () => {
  it("aborts the other workers when a stop event ends the run, and drops their later writes", async () => {
    class Slow extends Event.define({}) {}
    class Late extends Event.define({}) {}
    let aborted = false;
    const wf = new Workflow()
      .addStep("start", { accepts: StartEvent, emits: [Slow, StopEvent] }, async (_ev, ctx) => {
        ctx.sendEvent(new Slow());
        await new Promise((resolve) => setTimeout(resolve, 1));
        return new StopEvent({ result: "fast" });
      })
      .addStep("slow", { accepts: Slow, emits: StopEvent }, async (_ev, ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        aborted = ctx.signal.aborted;
        ctx.writeEventToStream(new Late());
        return new StopEvent({ result: "slow" });
      });
    const handler = wf.run();
    const seen: string[] = [];
    for await (const ev of handler.streamEvents())
      seen.push((ev.constructor as typeof Event).eventType);
    assert.equal(await handler, "fast");
    await new Promise((resolve) => setTimeout(resolve, 1));
    assert.equal(aborted, true);
    assert.deepEqual(seen, ["StopEvent"]);
  });
});
