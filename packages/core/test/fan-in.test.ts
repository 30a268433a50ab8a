import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Context,
  catchError,
  Event,
  HumanResponseEvent,
  InputRequiredEvent,
  StartEvent,
  type StepFailedEvent,
  StopEvent,
  step,
  Workflow,
  WorkflowValidationError,
} from "@stepwise/core";
import { z } from "zod";

class Task extends Event.define({ n: z.number() }) {}
class Done extends Event.define({ n: z.number() }) {}
class Part extends Event.define({ label: z.string() }) {}
class Summary extends Event.define({ total: z.number() }) {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** start -> N tasks (fan-out) -> work each -> gather all (fan-in) -> stop with the ns in order. */
function mapReduce(
  count: number,
  work: (ev: Task) => Promise<Done | null> | Done | null,
  collect: true | { take: number } = true,
) {
  const runs: number[][] = [];
  const wf = new Workflow();
  wf.addStep("split", { accepts: StartEvent, emits: Task, fanOut: true }, (_ev: StartEvent) =>
    Array.from({ length: count }, (_, n) => new Task({ n })),
  );
  wf.addStep("work", { accepts: Task, emits: Done }, work);
  wf.addStep("gather", { accepts: Done, emits: StopEvent, collect }, (done: Done[]) => {
    runs.push(done.map((d) => d.n));
    return new StopEvent({ result: done.map((d) => d.n) });
  });
  return { wf, runs };
}

describe("fan-out and fan-in", () => {
  it("a step's returned array fans out, and the collect step runs once with all results in fan-out order", async () => {
    const { wf, runs } = mapReduce(5, async (ev) => {
      await sleep(5 - ev.n); // later tasks finish first
      return new Done({ n: ev.n });
    });
    assert.deepEqual(await wf.run(), [0, 1, 2, 3, 4]);
    assert.equal(runs.length, 1);
  });

  it("an empty array fans out nothing, and the collect step runs once with []", async () => {
    const { wf, runs } = mapReduce(0, (ev) => new Done({ n: ev.n }));
    assert.deepEqual(await wf.run(), []);
    assert.deepEqual(runs, [[]]);
  });

  it("branches that return nothing leave; the collect step gets the others", async () => {
    const { wf } = mapReduce(6, (ev) => (ev.n % 2 === 0 ? new Done({ n: ev.n }) : null));
    assert.deepEqual(await wf.run(), [0, 2, 4]);
  });

  it("collect { take: n } runs on the n-th event with the first n to arrive", async () => {
    const { wf, runs } = mapReduce(
      5,
      async (ev) => {
        await sleep(ev.n * 3);
        return new Done({ n: ev.n });
      },
      { take: 2 },
    );
    assert.deepEqual(await wf.run(), [0, 1]);
    assert.equal(runs.length, 1);
  });

  it("gathers the result of steps chained inside each branch", async () => {
    const wf = new Workflow();
    wf.addStep("split", { accepts: StartEvent, emits: Task, fanOut: true }, (_e: StartEvent) => [
      new Task({ n: 1 }),
      new Task({ n: 2 }),
    ]);
    wf.addStep(
      "double",
      { accepts: Task, emits: Part },
      (ev: Task) => new Part({ label: `${ev.n * 2}` }),
    );
    wf.addStep(
      "finish",
      { accepts: Part, emits: Done },
      async (ev: Part) => new Done({ n: Number(ev.label) }),
    );
    wf.addStep(
      "gather",
      { accepts: Done, emits: StopEvent, collect: true },
      (done: Done[]) => new StopEvent({ result: done.map((d) => d.n) }),
    );
    assert.deepEqual(await wf.run(), [2, 4]);
  });

  it("collects events of several types into one array", async () => {
    const wf = new Workflow();
    wf.addStep("split", { accepts: StartEvent, emits: Task, fanOut: true }, (_e: StartEvent) => [
      new Task({ n: 1 }),
      new Task({ n: 2 }),
      new Task({ n: 3 }),
    ]);
    wf.addStep("work", { accepts: Task, emits: [Done, Part] }, (ev: Task) =>
      ev.n === 2 ? new Part({ label: "two" }) : new Done({ n: ev.n }),
    );
    wf.addStep(
      "gather",
      { accepts: [Done, Part], emits: StopEvent, collect: true },
      (events: (Done | Part)[]) =>
        new StopEvent({ result: events.map((e) => (e instanceof Done ? e.n : e.label)) }),
    );
    assert.deepEqual(await wf.run(), [1, "two", 3]);
  });

  it("nested fan-outs gather the inner collections first, then the outer one", async () => {
    class Group extends Event.define({ g: z.number() }) {}
    class GroupDone extends Event.define({ g: z.number(), items: z.array(z.number()) }) {}
    class Item extends Event.define({ g: z.number(), i: z.number() }) {}
    const wf = new Workflow();
    wf.addStep("groups", { accepts: StartEvent, emits: Group, fanOut: true }, (_e: StartEvent) => [
      new Group({ g: 0 }),
      new Group({ g: 1 }),
    ]);
    wf.addStep("items", { accepts: Group, emits: Item, fanOut: true }, (ev: Group) =>
      Array.from({ length: ev.g + 2 }, (_, i) => new Item({ g: ev.g, i })),
    );
    wf.addStep("work", { accepts: Item, emits: Done }, async (ev: Item) => {
      await sleep(3 - ev.i);
      return new Done({ n: ev.g * 10 + ev.i });
    });
    wf.addStep(
      "perGroup",
      { accepts: Done, emits: GroupDone, collect: true },
      (done: Done[]) =>
        new GroupDone({ g: Math.floor((done[0]?.n ?? 0) / 10), items: done.map((d) => d.n) }),
    );
    wf.addStep(
      "all",
      { accepts: GroupDone, emits: StopEvent, collect: true },
      (groups: GroupDone[]) => new StopEvent({ result: groups.map((g) => g.items) }),
    );
    assert.deepEqual(await wf.run(), [
      [0, 1],
      [10, 11, 12],
    ]);
  });

  it("each fan-out is gathered on its own: two runs of the fan-out step, two collect runs", async () => {
    class Round extends Event.define({ r: z.number() }) {}
    const sums: number[] = [];
    const wf = new Workflow();
    wf.addStep(
      "start",
      { accepts: StartEvent, emits: Round },
      (_e: StartEvent) => new Round({ r: 1 }),
    );
    wf.addStep("split", { accepts: Round, emits: Task, fanOut: true }, (ev: Round) => [
      new Task({ n: ev.r }),
      new Task({ n: ev.r * 10 }),
    ]);
    wf.addStep("work", { accepts: Task, emits: Done }, (ev: Task) => new Done({ n: ev.n }));
    wf.addStep(
      "gather",
      { accepts: Done, emits: [Round, StopEvent], collect: true },
      (done: Done[]) => {
        const sum = done.reduce((a, d) => a + d.n, 0);
        sums.push(sum);
        return sums.length < 2 ? new Round({ r: 2 }) : new StopEvent({ result: sums });
      },
    );
    assert.deepEqual(await wf.run(), [11, 22]);
  });

  it("a retried branch is gathered once it succeeds", async () => {
    let failures = 0;
    const flaky = new Workflow();
    flaky.addStep("split", { accepts: StartEvent, emits: Task, fanOut: true }, (_e: StartEvent) => [
      new Task({ n: 0 }),
      new Task({ n: 1 }),
      new Task({ n: 2 }),
    ]);
    flaky.addStep("work", { accepts: Task, emits: Done, retry: { next: () => 0 } }, (ev: Task) => {
      if (ev.n === 1 && failures++ < 2) throw new Error("flaky");
      return new Done({ n: ev.n });
    });
    flaky.addStep(
      "gather",
      { accepts: Done, emits: StopEvent, collect: true },
      (done: Done[]) => new StopEvent({ result: done.map((d) => d.n) }),
    );
    assert.deepEqual(await flaky.run(), [0, 1, 2]);
  });

  it("a branch recovered by @catchError is gathered with what the handler returns", async () => {
    class Flow extends Workflow {
      @step({ accepts: StartEvent, emits: Task, fanOut: true })
      split() {
        return [new Task({ n: 1 }), new Task({ n: 2 })];
      }

      @step({ accepts: Task, emits: Done })
      async work(ev: Task) {
        if (ev.n === 2) throw new Error("two fails");
        return new Done({ n: ev.n });
      }

      @catchError({ emits: Done })
      async recover(ev: StepFailedEvent) {
        return new Done({ n: -(ev.inputEvent as Task).n });
      }

      @step({ accepts: Done, emits: StopEvent, collect: true })
      gather(done: Done[]) {
        return new StopEvent({ result: done.map((d) => d.n) });
      }
    }
    assert.deepEqual(await new Flow().run(), [1, -2]);
  });

  it("a branch waiting for a human keeps the collection open until the answer arrives", async () => {
    class Approval extends HumanResponseEvent.define({ ok: z.boolean() }) {}
    const wf = new Workflow({ timeout: 5 });
    wf.addStep("split", { accepts: StartEvent, emits: Task, fanOut: true }, (_e: StartEvent) => [
      new Task({ n: 1 }),
      new Task({ n: 2 }),
    ]);
    wf.addStep("work", { accepts: Task, emits: Done }, async (ev: Task, ctx: Context) => {
      if (ev.n === 2) await ctx.waitForEvent(Approval);
      return new Done({ n: ev.n });
    });
    wf.addStep(
      "gather",
      { accepts: Done, emits: StopEvent, collect: true },
      (done: Done[]) => new StopEvent({ result: done.map((d) => d.n) }),
    );
    const handler = wf.run();
    await sleep(10);
    assert.equal(handler.isDone(), false);
    handler.sendEvent(new Approval({ ok: true }));
    assert.deepEqual(await handler, [1, 2]);
  });

  it("returning an array from a step without fanOut fails the run, naming the option", async () => {
    const wf = new Workflow();
    wf.addStep("split", { accepts: StartEvent, emits: StopEvent }, (() => [
      new StopEvent({}),
    ]) as never);
    await assert.rejects(wf.run(), /returned an array.*declare the step with `fanOut: true`/);
  });

  it("a fan-out array holding a non-event fails the run, naming the item", async () => {
    const bad = new Workflow();
    bad.addStep("split", { accepts: StartEvent, emits: Task, fanOut: true }, (() => [
      new Task({ n: 1 }),
      "oops",
    ]) as never);
    bad.addStep("work", { accepts: Task, emits: StopEvent }, () => new StopEvent({}));
    await assert.rejects(bad.run(), /array whose item 1 is a string/);
  });

  it("a collect step that no fan-out feeds is a validation error", () => {
    const wf = new Workflow();
    wf.addStep("start", { accepts: StartEvent, emits: Done }, () => new Done({ n: 1 }));
    wf.addStep(
      "gather",
      { accepts: Done, emits: StopEvent, collect: true },
      () => new StopEvent({}),
    );
    assert.throws(
      () => wf.validate(),
      (error: unknown) =>
        error instanceof WorkflowValidationError &&
        error.problems.some((p) => p.code === "unboundCollect" && p.steps?.[0] === "gather"),
    );
  });

  for (const [label, options] of [
    ["collect: { take: 0 }", { collect: { take: 0 } }],
    ["collect: 'all'", { collect: "all" }],
    ["fanOut: 'yes'", { fanOut: "yes" }],
    ["collect with join", { collect: true, join: true }],
  ] as const) {
    it(`refuses ${label}`, () => {
      assert.throws(
        () =>
          new Workflow().addStep(
            "bad",
            { accepts: [StartEvent, Done], emits: StopEvent, ...(options as object) },
            () => null,
          ),
        WorkflowValidationError,
      );
    });
  }
});

describe("join", () => {
  class Header extends Event.define({ h: z.string() }) {}
  class Body extends Event.define({ b: z.string() }) {}

  function page(sendOrder: Event[]) {
    const fired: string[] = [];
    const wf = new Workflow({ timeout: 5 });
    wf.addStep(
      "start",
      { accepts: StartEvent, emits: [Header, Body] },
      (_e: StartEvent, ctx: Context) => {
        for (const ev of sendOrder) ctx.sendEvent(ev);
        return null;
      },
    );
    wf.addStep(
      "assemble",
      { accepts: [Header, Body], emits: StopEvent, join: true },
      ([header, body]: [Header, Body]) => {
        fired.push(`${header.h}+${body.b}`);
        return fired.length === Math.floor(sendOrder.length / 2)
          ? new StopEvent({ result: fired })
          : null;
      },
    );
    return wf;
  }

  it("runs once it holds one event of each type, with them in `accepts` order", async () => {
    assert.deepEqual(await page([new Body({ b: "B" }), new Header({ h: "H" })]).run(), ["H+B"]);
  });

  it("keeps extra events of one type for the next set, earliest first", async () => {
    const wf = page([
      new Header({ h: "h1" }),
      new Header({ h: "h2" }),
      new Body({ b: "b1" }),
      new Body({ b: "b2" }),
    ]);
    assert.deepEqual(await wf.run(), ["h1+b1", "h2+b2"]);
  });

  it("needs at least two classes to join", () => {
    assert.throws(
      () =>
        new Workflow().addStep("j", { accepts: Header, emits: StopEvent, join: true }, () => null),
      /needs at least two `accepts` classes/,
    );
  });
});

describe("step names in class workflows", () => {
  it("two methods with the same step name are a validation error", () => {
    class Twice extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent, name: "same" })
      async a() {
        return new StopEvent({});
      }

      @step({ accepts: Summary, emits: StopEvent, name: "same" })
      async b() {
        return new StopEvent({});
      }
    }
    assert.throws(
      () => new Twice(),
      (error: unknown) =>
        error instanceof WorkflowValidationError &&
        error.problems.some((p) => p.code === "duplicateStep" && p.steps?.[0] === "same"),
    );
  });

  it("a subclass's step still replaces its parent's of the same name", async () => {
    class Base extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async only() {
        return new StopEvent({ result: "base" });
      }
    }
    class Child extends Base {
      @step({ accepts: StartEvent, emits: StopEvent })
      override async only() {
        return new StopEvent({ result: "child" });
      }
    }
    assert.equal(await new Child().run(), "child");
  });
});

describe("numConcurrentRuns", () => {
  it("accepts null for no limit", () => {
    assert.equal(new Workflow({ numConcurrentRuns: null }).numConcurrentRuns, null);
  });

  for (const bad of [0, -1, 1.5, true, "1"]) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => new Workflow({ numConcurrentRuns: bad as number }),
        /must be a positive integer, or null for no limit/,
      );
    });
  }
});

describe("the trace of a fan-in", () => {
  it("records every event a collect step ran with", async () => {
    const wf = new Workflow();
    wf.addStep("split", { accepts: StartEvent, emits: Task, fanOut: true }, (_e: StartEvent) => [
      new Task({ n: 1 }),
      new Task({ n: 2 }),
    ]);
    wf.addStep("work", { accepts: Task, emits: Done }, (ev: Task) => new Done({ n: ev.n }));
    wf.addStep(
      "gather",
      { accepts: Done, emits: StopEvent, collect: true },
      (done: Done[]) => new StopEvent({ result: done.length }),
    );
    const handler = wf.run();
    await handler;
    const trace = handler.trace();
    const gather = trace.invocations.find((i) => i.stepName === "gather");
    const doneIds = trace.events.filter((e) => e.eventType === "Done").map((e) => e.id);
    assert.deepEqual(gather?.inputEventIds, doneIds);
    assert.ok((trace.events[0]?.at ?? 0) > 0, "the start event has its real time");
  });
});

describe("waiters of parallel branches", () => {
  it("are separate: each branch publishes its own request, and one response resolves every matching one", async () => {
    class Approve extends HumanResponseEvent.define({ ok: z.boolean() }) {}
    class Ask extends InputRequiredEvent.define({ n: z.number() }) {}
    const wf = new Workflow({ timeout: 5 });
    wf.addStep("split", { accepts: StartEvent, emits: Task, fanOut: true }, (_e: StartEvent) => [
      new Task({ n: 1 }),
      new Task({ n: 2 }),
      new Task({ n: 3 }),
    ]);
    wf.addStep("work", { accepts: Task, emits: Done }, async (ev: Task, ctx: Context) => {
      const answer = await ctx.waitForEvent(Approve, {
        waiterEvent: new Ask({ n: ev.n }),
        requirements: { ok: true },
      });
      return new Done({ n: answer.ok ? ev.n : -ev.n });
    });
    wf.addStep(
      "gather",
      { accepts: Done, emits: StopEvent, collect: true },
      (done: Done[]) => new StopEvent({ result: done.map((d) => d.n) }),
    );
    const handler = wf.run();
    const asked: number[] = [];
    for await (const ev of handler.streamEvents()) {
      if (ev instanceof Ask) {
        asked.push(ev.n);
        if (asked.length === 3) handler.sendEvent(new Approve({ ok: true }));
      }
    }
    assert.deepEqual(asked.sort(), [1, 2, 3]);
    assert.deepEqual(await handler, [1, 2, 3]);
  });
});
