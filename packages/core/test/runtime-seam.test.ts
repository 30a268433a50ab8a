/**
 * The runtime seam as a runtime author and a server see it: runs owned by the runtime, the
 * write-ahead journal, rebuilding and recovering runs, the numbered run log with many
 * subscribers, observers.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Context,
  Event,
  HumanResponseEvent,
  InputRequiredEvent,
  nonRetryable,
  RunAdmissionError,
  type RunObserver,
  StartEvent,
  StepStateChanged,
  StopEvent,
  Workflow,
  WorkflowCancelledError,
} from "@stepwise/core";
import {
  type JournalBatch,
  type JournalEntry,
  LocalRuntime,
  type PublishedEntry,
  type RunInfo,
  type RunJournal,
  rebuildRun,
  type StoredRun,
  workflowSpec,
} from "@stepwise/core/runtime";
import { z } from "zod";

class Hop extends Event.define({ n: z.number() }) {}
class Ask extends InputRequiredEvent.define({ question: z.string() }) {}
class Answer extends HumanResponseEvent.define({ answer: z.string() }) {}
class Note extends Event.define({ text: z.string() }) {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A copy of journal data as it was when appended: plain objects and arrays copied, events and errors kept. */
function frozen<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(frozen) as T;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = frozen(v);
  return out as T;
}

/** Journals to memory, as a durable runtime would to disk; `recover` reads what another instance wrote. */
class MemoryJournalRuntime extends LocalRuntime {
  override readonly name = "memory-journal";
  readonly batches: JournalBatch[] = [];
  readonly observedBefore: string[] = [];

  constructor(
    readonly disk: Map<
      string,
      { info: RunInfo; entries: JournalEntry[]; published: PublishedEntry[]; ended: boolean }
    > = new Map(),
    readonly onAppend?: (batch: JournalBatch) => void | Promise<void>,
  ) {
    super();
  }

  protected override openJournal(info: RunInfo): RunJournal {
    const record = {
      info,
      entries: [] as JournalEntry[],
      published: [] as PublishedEntry[],
      ended: false,
    };
    this.disk.set(info.runId, record);
    return {
      append: (batch) => {
        this.batches.push(batch);
        record.entries.push(...frozen(batch.entries));
        record.published.push(...batch.published);
        if (batch.ended) record.ended = true;
        return this.onAppend?.(batch);
      },
    };
  }

  protected override get keepsEvents(): boolean {
    return true;
  }

  protected override async loadUnfinished(): Promise<readonly StoredRun[]> {
    return [...this.disk.values()]
      .filter((run) => !run.ended)
      .map((run) => ({ ...run.info, entries: run.entries, published: run.published }));
  }
}

function hitlFlow(runtime: LocalRuntime, ran: string[] = []) {
  const wf = new Workflow({ runtime, timeout: null, name: "Hitl" });
  wf.addStep(
    "prepare",
    { accepts: StartEvent, emits: Hop },
    async (ev: StartEvent, ctx: Context) => {
      ran.push("prepare");
      await ctx.store.set("topic", ev.topic);
      ctx.writeEventToStream(new Note({ text: "prepared" }));
      return new Hop({ n: 1 });
    },
  );
  wf.addStep("ask", { accepts: Hop, emits: StopEvent }, async (_ev: Hop, ctx: Context) => {
    ran.push("ask");
    const reply = await ctx.waitForEvent(Answer, {
      waiterEvent: new Ask({ question: "ok?" }),
      timeout: null,
    });
    return new StopEvent({ result: `${ctx.store.get("topic")}: ${reply.answer}` });
  });
  return wf;
}

describe("the runtime owns its runs", () => {
  it("finds a run in progress by id and lists it; forgets it once it ends", async () => {
    const runtime = new LocalRuntime();
    const handler = hitlFlow(runtime).run({ topic: "t" }, { runId: "run-1" });
    assert.equal(runtime.getRun("run-1"), handler);
    assert.deepEqual(runtime.listRuns(), [
      { runId: "run-1", workflowName: "Hitl", status: "running" },
    ]);
    await handler.cancel();
    assert.equal(runtime.getRun("run-1"), undefined);
    assert.deepEqual(runtime.listRuns(), []);
  });

  it("refuses a duplicate run id in progress with RunAdmissionError code duplicateRunId", async () => {
    const runtime = new LocalRuntime();
    const wf = hitlFlow(runtime);
    const first = wf.run({ topic: "t" }, { runId: "dup" });
    assert.throws(
      () => wf.run({ topic: "t" }, { runId: "dup" }),
      (error: unknown) =>
        error instanceof RunAdmissionError &&
        error.code === "duplicateRunId" &&
        error.runId === "dup",
    );
    await first.cancel();
  });
});

describe("the write-ahead journal", () => {
  it("gets each batch before the steps it starts run", async () => {
    const ran: string[] = [];
    const journaledBeforeRun: boolean[] = [];
    const runtime = new MemoryJournalRuntime(new Map(), (batch) => {
      if (batch.entries.some((e) => e.tick.type === "start"))
        journaledBeforeRun.push(ran.length === 0);
    });
    const handler = hitlFlow(runtime, ran).run({ topic: "t" });
    await sleep(5);
    assert.deepEqual(journaledBeforeRun, [true]);
    await handler.cancel();
  });

  it("waits for an async journal before starting what the batch started", async () => {
    const ran: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const runtime = new MemoryJournalRuntime(new Map(), (batch) =>
      batch.entries.some((e) => e.tick.type === "start") ? gate : undefined,
    );
    const handler = hitlFlow(runtime, ran).run({ topic: "t" });
    await sleep(10);
    assert.deepEqual(ran, []);
    release();
    await sleep(10);
    assert.deepEqual(ran, ["prepare", "ask"]);
    await handler.cancel();
  });

  it("journals a cancel before the start, so the journal sees every ending", async () => {
    const runtime = new MemoryJournalRuntime();
    const ran: string[] = [];
    const handler = hitlFlow(runtime, ran).run({ topic: "t" });
    await handler.cancel();
    await assert.rejects(handler, WorkflowCancelledError);
    const ticks = runtime.batches.flatMap((b) => b.entries.map((e) => e.tick.type));
    assert.ok(ticks.includes("cancel"));
    assert.equal(runtime.batches.at(-1)?.ended, "cancelled");
    assert.deepEqual(ran, []);
  });

  it("journals store writes and stream writes as ticks, in order", async () => {
    const runtime = new MemoryJournalRuntime();
    const handler = hitlFlow(runtime).run({ topic: "t" });
    await sleep(10);
    const ticks = runtime.batches.flatMap((b) => b.entries.map((e) => e.tick));
    const store = ticks.find((t) => t.type === "store");
    assert.deepEqual(store?.type === "store" ? store.data : null, { topic: "t" });
    assert.ok(ticks.some((t) => t.type === "write"));
    await handler.cancel();
  });

  it("replays through rebuildRun to the state the run had", async () => {
    const runtime = new MemoryJournalRuntime();
    const wf = hitlFlow(runtime);
    const handler = wf.run({ topic: "t" }, { runId: "r" });
    await sleep(10);
    const stored = runtime.disk.get("r");
    assert.ok(stored);
    const rebuilt = rebuildRun(workflowSpec(wf), stored.entries);
    assert.equal(rebuilt.state.status, "running");
    assert.equal(rebuilt.state.steps.ask?.waiters.length, 1);
    assert.deepEqual(rebuilt.store, { topic: "t" });
    await handler.cancel();
  });
});

describe("recovering runs from a journal", () => {
  it("resumes a run waiting for a human in a new runtime: finished steps do not run again", async () => {
    const disk = new Map();
    const ran: string[] = [];
    const first = new MemoryJournalRuntime(disk);
    hitlFlow(first, ran).run({ topic: "tea" }, { runId: "r1" });
    await sleep(10);
    assert.deepEqual(ran, ["prepare", "ask"]);
    // The process "dies": a new runtime reads what the first one journaled.
    const again: string[] = [];
    const second = new MemoryJournalRuntime(disk);
    const [handler] = await second.recover([hitlFlow(second, again)]);
    assert.ok(handler);
    assert.equal(handler.runId, "r1");
    await sleep(5);
    handler.sendEvent(new Answer({ answer: "yes" }));
    assert.equal(await handler, "tea: yes");
    assert.deepEqual(again, ["ask"]);
  });

  it("continues the run's log after what was published, with no gap and no duplicate", async () => {
    const disk = new Map();
    const first = new MemoryJournalRuntime(disk);
    hitlFlow(first).run({ topic: "tea" }, { runId: "r2" });
    await sleep(10);
    const second = new MemoryJournalRuntime(disk);
    const [handler] = await second.recover([hitlFlow(second)]);
    assert.ok(handler);
    const seen: { seq: number; type: string }[] = [];
    const reading = (async () => {
      for await (const entry of handler.subscribe({ after: -1, includeInternal: true }))
        seen.push({ seq: entry.seq, type: entry.event.constructor.name });
    })();
    await sleep(5);
    handler.sendEvent(new Answer({ answer: "yes" }));
    await handler;
    await reading;
    assert.deepEqual(
      seen.map((s) => s.seq),
      seen.map((_, i) => i),
    );
    const publicTypes = seen.map((s) => s.type).filter((t) => t !== "StepStateChanged");
    assert.deepEqual(
      publicTypes.filter((t) => t !== "WorkflowIdleEvent"),
      ["Note", "Ask", "StopEvent"],
    );
  });
});

describe("the run log", () => {
  function chatty() {
    const wf = new Workflow({ timeout: 5 });
    wf.addStep(
      "talk",
      { accepts: StartEvent, emits: StopEvent },
      async (_e: StartEvent, ctx: Context) => {
        for (let i = 0; i < 3; i++) {
          ctx.writeEventToStream(new Note({ text: `n${i}` }));
          await sleep(1);
        }
        return new StopEvent({ result: "done" });
      },
    );
    return wf;
  }

  async function read(iterable: AsyncIterable<{ seq: number; event: Event }>) {
    const out: string[] = [];
    for await (const { seq, event } of iterable)
      out.push(`${seq}:${(event as { text?: string }).text ?? event.constructor.name}`);
    return out;
  }

  it("numbers every published event and serves any number of subscribers from the start", async () => {
    const handler = chatty().run();
    const [a, b] = await Promise.all([
      read(handler.subscribe()),
      read(handler.subscribe({ after: -1 })),
    ]);
    assert.deepEqual(a, b);
    assert.deepEqual(
      a.map((s) => s.split(":")[1]),
      ["n0", "n1", "n2", "StopEvent"],
    );
  });

  it("serves a subscriber from a sequence number of its choice", async () => {
    const handler = chatty().run();
    const all = await read(handler.subscribe());
    const firstSeq = Number(all[1]?.split(":")[0]);
    const later = await read(handler.subscribe({ after: firstSeq }));
    assert.deepEqual(later, all.slice(2));
  });

  it("gives internal events from the start to a subscriber that comes after an await", async () => {
    const handler = chatty().run();
    await handler;
    const types: string[] = [];
    for await (const { event } of handler.subscribe({ includeInternal: true }))
      types.push(event.constructor.name);
    assert.ok(types.filter((t) => t === StepStateChanged.name).length >= 2);
    assert.equal(types.at(-1), "StopEvent");
  });

  it("shares sequence numbers between public and internal events", async () => {
    const handler = chatty().run();
    await handler;
    const withInternal = new Map<number, string>();
    for await (const { seq, event } of handler.subscribe({ includeInternal: true }))
      withInternal.set(seq, event.constructor.name);
    for await (const { seq, event } of handler.subscribe())
      assert.equal(withInternal.get(seq), event.constructor.name);
    assert.equal(handler.lastSeq, Math.max(...withInternal.keys()));
  });

  it("refuses unknown subscribe options and a non-integer sequence", () => {
    const handler = chatty().run();
    assert.throws(() => handler.subscribe({ from: 1 } as never), /Unknown option `from`/);
    assert.throws(() => handler.subscribe({ after: 1.5 }), /integer sequence number/);
  });
});

describe("observers", () => {
  it("are told, in order, what happens in a run", async () => {
    const seen: string[] = [];
    const observer: RunObserver = {
      runStarted: (run) => seen.push(`start ${run.workflowName}`),
      stepStarted: (inv) => seen.push(`step+ ${inv.info.name}#${inv.item.attempts}`),
      stepEnded: (inv, outcome) => seen.push(`step- ${inv.info.name} ${outcome.kind}`),
      waitStarted: (inv, waiter) => seen.push(`wait ${inv.info.name} ${waiter.eventType}`),
      waitEnded: (_run, step, _id, timedOut) => seen.push(`waited ${step} ${timedOut}`),
      runEnded: (_run, end) => seen.push(`end ${end.status}`),
    };
    const wf = hitlFlow(new LocalRuntime({ observers: [observer] }));
    const handler = wf.run({ topic: "t" });
    for await (const ev of handler.streamEvents()) {
      if (ev instanceof Ask) handler.sendEvent(new Answer({ answer: "y" }));
    }
    await handler;
    assert.deepEqual(seen, [
      "start Hitl",
      "step+ prepare#0",
      "step- prepare event",
      "step+ ask#0",
      "wait ask Answer",
      "waited ask false",
      "step+ ask#0",
      "step- ask event",
      "end completed",
    ]);
  });

  it("are told of a run synchronously inside run(), before it starts", async () => {
    const seen: string[] = [];
    const observer: RunObserver = {
      runCreated: (run, resumed) => seen.push(`created ${run.runId} ${resumed}`),
      runStarted: (run, resumed) => seen.push(`started ${run.runId} ${resumed}`),
    };
    const wf = new Workflow({ observers: [observer] });
    wf.addStep(
      "only",
      { accepts: StartEvent, emits: StopEvent },
      () => new StopEvent({ result: 1 }),
    );
    const handler = wf.run(undefined, { runId: "r1" });
    assert.deepEqual(seen, ["created r1 false"]);
    assert.equal(await handler, 1);
    assert.deepEqual(seen, ["created r1 false", "started r1 false"]);
  });

  it("may wrap each step invocation", async () => {
    const depth: number[] = [];
    let inside = 0;
    const observer: RunObserver = {
      wrapStep: (_inv, run) => {
        inside++;
        try {
          return run();
        } finally {
          inside--;
        }
      },
    };
    const wf = new Workflow({ observers: [observer] });
    wf.addStep("only", { accepts: StartEvent, emits: StopEvent }, () => {
      depth.push(inside);
      return new StopEvent({ result: 1 });
    });
    assert.equal(await wf.run(), 1);
    assert.deepEqual(depth, [1]);
  });

  it("one that throws is reported once and the run carries on", async () => {
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (line: string) => warnings.push(line);
    try {
      const wf = new Workflow({
        observers: [
          {
            stepStarted: () => {
              throw new Error("observer down");
            },
          },
        ],
      });
      wf.addStep("a", { accepts: StartEvent, emits: Hop }, () => new Hop({ n: 1 }));
      wf.addStep("b", { accepts: Hop, emits: StopEvent }, () => new StopEvent({ result: "ok" }));
      assert.equal(await wf.run(), "ok");
    } finally {
      console.warn = warn;
    }
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /observer .* threw in `stepStarted` \(observer down\)/);
  });
});

describe("ctx.store.edit", () => {
  const flow = (fn: (ctx: Context) => Promise<unknown>) => {
    const wf = new Workflow();
    wf.addStep(
      "s",
      { accepts: StartEvent, emits: StopEvent },
      async (_e: StartEvent, ctx: Context) => {
        await ctx.store.set("items", [1]);
        return new StopEvent({ result: await fn(ctx) });
      },
    );
    return wf;
  };

  it("commits the edited copy when the function returns; reads inside see the committed state", async () => {
    const result = await flow(async (ctx) => {
      let inside: unknown;
      await ctx.store.edit((state: { items: number[] }) => {
        state.items.push(2);
        inside = ctx.store.get("items");
      });
      return { inside, after: ctx.store.get("items") };
    }).run();
    assert.deepEqual(result, { inside: [1], after: [1, 2] });
  });

  it("drops the edit when the function throws", async () => {
    const result = await flow(async (ctx) => {
      await ctx.store
        .edit((state: { items: number[] }) => {
          state.items.push(2);
          throw new Error("nope");
        })
        .catch(() => {});
      return ctx.store.get("items");
    }).run();
    assert.deepEqual(result, [1]);
  });

  it("refuses a write to the store from inside the edit function", async () => {
    const result = await flow(async (ctx) => {
      try {
        await ctx.store.edit(() => {
          void ctx.store.set("x", 1);
        });
        return "no error";
      } catch (error) {
        return (error as Error).message;
      }
    }).run();
    assert.match(String(result), /`store.set\(\)` was called inside `store.edit\(\)`/);
  });
});

describe("recovery details", () => {
  it("publishes a re-run step's stream writes once: what the journal has is not written again", async () => {
    const disk = new Map();
    const first = new MemoryJournalRuntime(disk);
    const make = (runtime: LocalRuntime, hang: boolean) =>
      new Workflow({ runtime, timeout: null, name: "Writer" }).addStep(
        "talk",
        { accepts: StartEvent, emits: StopEvent },
        async (_e: StartEvent, ctx: Context) => {
          ctx.writeEventToStream(new Note({ text: "once" }));
          if (hang) await new Promise(() => {});
          return new StopEvent({ result: "done" });
        },
      );
    make(first, true).run({}, { runId: "w1" });
    await sleep(10);
    const second = new MemoryJournalRuntime(disk);
    const [handler] = await second.recover([make(second, false)]);
    assert.ok(handler);
    assert.equal(await handler, "done");
    const notes: string[] = [];
    for await (const { event } of handler.subscribe())
      if (event instanceof Note) notes.push(event.text);
    assert.deepEqual(notes, ["once"]);
  });

  it("recovers a run that was resumed from a snapshot, from that snapshot plus its journal", async () => {
    const plain = hitlFlow(new LocalRuntime());
    const started = plain.run({ topic: "tea" }, { runId: "s1" });
    await sleep(10);
    const snapshot = started.ctx.toJSON();
    await started.cancel();
    const disk = new Map();
    const first = new MemoryJournalRuntime(disk);
    const wf1 = hitlFlow(first);
    wf1.run(undefined, { ctx: Context.fromJSON(wf1, snapshot) });
    await sleep(10);
    for (const run of disk.values()) (run as { base?: unknown }).base = snapshot;
    const second = new MemoryJournalRuntimeWithBase(disk);
    const [handler] = await second.recover([hitlFlow(second)]);
    assert.ok(handler);
    await sleep(5);
    handler.sendEvent(new Answer({ answer: "yes" }));
    assert.equal(await handler, "tea: yes");
  });

  it("journals a store seeded before the run, so a recovered run has it", async () => {
    const disk = new Map();
    const first = new MemoryJournalRuntime(disk);
    const wf = new Workflow({ runtime: first, timeout: null, name: "Seeded" }).addStep(
      "wait",
      { accepts: StartEvent, emits: StopEvent },
      async (_e: StartEvent, ctx: Context) => {
        await ctx.waitForEvent(Answer, { timeout: null });
        return new StopEvent({ result: ctx.store.get("seed") });
      },
    );
    const seeded = new Context(wf);
    await seeded.store.set("seed", 42);
    wf.run({}, { ctx: seeded, runId: "seeded" });
    await sleep(10);
    const second = new MemoryJournalRuntime(disk);
    const again = new Workflow({ runtime: second, timeout: null, name: "Seeded" }).addStep(
      "wait",
      { accepts: StartEvent, emits: StopEvent },
      async (_e: StartEvent, ctx: Context) => {
        await ctx.waitForEvent(Answer, { timeout: null });
        return new StopEvent({ result: ctx.store.get("seed") });
      },
    );
    const [handler] = await second.recover([again]);
    assert.ok(handler);
    await sleep(5);
    handler.sendEvent(new Answer({ answer: "go" }));
    assert.equal(await handler, 42);
  });

  it("does not retry an error marked nonRetryable", async () => {
    let calls = 0;
    const wf = new Workflow().addStep(
      "fail",
      { accepts: StartEvent, emits: StopEvent, retry: { next: () => 0 } },
      async (): Promise<StopEvent> => {
        calls++;
        throw nonRetryable(new Error("bad input"));
      },
    );
    await assert.rejects(wf.run(), /bad input/);
    assert.equal(calls, 1);
  });
});

/** Like MemoryJournalRuntime, but hands each stored run's `base` snapshot to recovery. */
class MemoryJournalRuntimeWithBase extends MemoryJournalRuntime {
  protected override async loadUnfinished(): Promise<readonly StoredRun[]> {
    return [...this.disk.values()]
      .filter((run) => !run.ended)
      .map((run) => ({
        ...run.info,
        entries: run.entries,
        published: run.published,
        base: (run as { base?: unknown }).base,
      }));
  }
}

describe("a journal that fails", () => {
  it("fails the run instead of leaving it pending, even when every write throws", async () => {
    const runtime = new MemoryJournalRuntime(new Map(), () => {
      throw new Error("disk gone");
    });
    const handler = hitlFlow(runtime).run({ topic: "t" });
    await assert.rejects(handler, /disk gone/);
    const seen: string[] = [];
    for await (const { event } of handler.subscribe()) seen.push(event.constructor.name);
    assert.equal(seen.at(-1), "WorkflowFailedEvent");
  });

  it("fails the run when an async write rejects", async () => {
    const runtime = new MemoryJournalRuntime(new Map(), () => Promise.reject(new Error("network")));
    await assert.rejects(hitlFlow(runtime).run({ topic: "t" }), /network/);
  });
});

describe("run({ runtime })", () => {
  it("runs on the runtime given for this run instead of the workflow's", async () => {
    const own = new LocalRuntime();
    const other = new LocalRuntime();
    const wf = hitlFlow(own);
    const handler = wf.run({ topic: "t" }, { runtime: other, runId: "elsewhere" });
    assert.equal(other.getRun("elsewhere"), handler);
    assert.equal(own.getRun("elsewhere"), undefined);
    await handler.cancel();
  });

  it("refuses something that is not a runtime", () => {
    assert.throws(
      () => hitlFlow(new LocalRuntime()).run({}, { runtime: {} as never }),
      /`runtime` of `run\(\)` must be a runtime/,
    );
  });
});

describe("run annotations", () => {
  const noting = (note: string): RunObserver => ({
    runStarted: (run, resumed) => {
      if (!resumed) run.annotate("note", note);
    },
  });

  it("keep an observer's note with the run, in its snapshot", async () => {
    const wf = hitlFlow(new LocalRuntime({ observers: [noting("first")] }));
    const handler = wf.run({ topic: "t" });
    await sleep(10);
    const snapshot = JSON.parse(JSON.stringify(handler.ctx.toJSON()));
    await handler.cancel();
    assert.deepEqual(snapshot.run.annotations, { note: "first" });
    let seen: unknown;
    const again = hitlFlow(
      new LocalRuntime({ observers: [{ runStarted: (run) => void (seen = run.annotations) }] }),
    );
    const resumed = again.run(undefined, { ctx: Context.fromJSON(again, snapshot) });
    await sleep(5);
    assert.deepEqual(seen, { note: "first" });
    await resumed.cancel();
  });

  it("survive a journal: a recovered run has them", async () => {
    const disk = new Map();
    const first = new MemoryJournalRuntime(disk);
    const wf = new Workflow({
      runtime: first,
      timeout: null,
      name: "Noted",
      observers: [noting("kept")],
    }).addStep(
      "wait",
      { accepts: StartEvent, emits: StopEvent },
      async (_e: StartEvent, ctx: Context) => {
        await ctx.waitForEvent(Answer, { timeout: null });
        return new StopEvent({ result: "ok" });
      },
    );
    wf.run({}, { runId: "noted" });
    await sleep(10);
    let seen: unknown;
    const second = new MemoryJournalRuntime(disk);
    const again = new Workflow({
      runtime: second,
      timeout: null,
      name: "Noted",
      observers: [{ runStarted: (run) => void (seen = run.annotations) }],
    }).addStep(
      "wait",
      { accepts: StartEvent, emits: StopEvent },
      async (_e: StartEvent, ctx: Context) => {
        await ctx.waitForEvent(Answer, { timeout: null });
        return new StopEvent({ result: "ok" });
      },
    );
    const [handler] = await second.recover([again]);
    assert.ok(handler);
    await sleep(5);
    assert.deepEqual(seen, { note: "kept" });
    await handler.cancel();
  });
});

/** A journaling runtime that can release a run (stop it here without ending it). */
class ReleasingRuntime extends MemoryJournalRuntime {
  release(runId: string): boolean {
    return this.releaseRun(runId);
  }
}

describe("releasing a run from a runtime", () => {
  it("stops the run here without ending it: its steps are told, its readers end, it leaves the runtime", async () => {
    const runtime = new ReleasingRuntime();
    let aborted: unknown = null;
    let started = 0;
    const wf = new Workflow({
      runtime,
      name: "Released",
      timeout: null,
      numConcurrentRuns: 1,
    }).addStep("wait", { accepts: StartEvent, emits: StopEvent }, async (_ev, ctx) => {
      started++;
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      aborted = ctx.signal.reason;
      return new StopEvent({ result: "late" });
    });
    const handler = wf.run({}, { runId: "released-1" });
    const read = (async () => {
      const seen: number[] = [];
      for await (const { seq } of handler.subscribe()) seen.push(seq);
      return seen;
    })();
    await sleep(5);
    assert.equal(runtime.release("released-1"), true);
    assert.deepEqual(await read, [], "its readers end");
    assert.equal(runtime.getRun("released-1"), undefined);
    await sleep(5);
    assert.ok(aborted instanceof WorkflowCancelledError && aborted.code === "runEnded");
    let settled = false;
    handler.then(
      () => (settled = true),
      () => (settled = true),
    );
    // Its slot is free: another run of the workflow (numConcurrentRuns 1) starts at once.
    const next = wf.run({}, { runId: "released-2" });
    await sleep(5);
    assert.equal(started, 2);
    assert.ok(runtime.release("released-2"));
    await sleep(5);
    assert.equal(settled, false, "the released run's result never settles here");
    assert.equal(
      runtime.batches.some((batch) => batch.ended !== null),
      false,
      "nothing journals an ending",
    );
    void next;
  });
});
