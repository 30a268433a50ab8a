import {
  type Context,
  Event,
  StartEvent,
  StopEvent,
  step,
  Workflow,
  type WorkflowOptions,
} from "@stepwise/core";
import { z } from "zod";
import { type BenchSystem, expectEqual, type RunOnce } from "./types.js";

// stepwise, imported as "@stepwise/core": from packages/core/dist by default (compiled JS, as
// the peers ship), or from its TypeScript source when the bench runs with `--source`.
// Every workflow uses default options (timeout 60 s, validation on, trace recording on), as a
// user would; the `...NoTrace` variants pass `trace: false` to measure what recording costs.

class CountEvent extends Event.define({ n: z.number() }) {}
class ItemEvent extends Event.define({ i: z.number() }) {}
class DoneEvent extends Event.define({ v: z.number() }) {}

/** A start step, then one step re-emitting `CountEvent` until it reaches `n`. */
export class ChainFlow extends Workflow {
  constructor(
    readonly n: number,
    options?: WorkflowOptions,
  ) {
    super(options);
  }

  @step({ accepts: StartEvent, emits: CountEvent })
  async begin(_ev: StartEvent): Promise<CountEvent> {
    return new CountEvent({ n: 1 });
  }

  @step({ accepts: CountEvent, emits: [CountEvent, StopEvent] })
  async hop(ev: CountEvent): Promise<CountEvent | StopEvent> {
    return ev.n >= this.n ? new StopEvent({ result: ev.n }) : new CountEvent({ n: ev.n + 1 });
  }
}

/**
 * `ctx.sendEvent` n items to a worker step; a collector fans the results in with
 * `ctx.collectEvents(ev, expected)`, where `expected` (n times DoneEvent) is built once, as
 * stepwise's docs ask. Without `hoisted`, the list is built on every call: Python's idiom
 * `ctx.collect_events(ev, [DoneEvent] * n)` transcribed, which is O(n) per call in user code
 * and in the engine's reading of it (a variant row shows its cost).
 */
export class FanOutFlow extends Workflow {
  readonly #hoisted: (typeof DoneEvent)[] | null;

  constructor(
    readonly n: number,
    hoisted: boolean,
    options?: WorkflowOptions,
  ) {
    super(options);
    this.#hoisted = hoisted ? Array<typeof DoneEvent>(n).fill(DoneEvent) : null;
  }

  @step({ accepts: StartEvent, emits: ItemEvent })
  async begin(_ev: StartEvent, ctx: Context): Promise<null> {
    for (let i = 0; i < this.n; i++) ctx.sendEvent(new ItemEvent({ i }));
    return null;
  }

  @step({ accepts: ItemEvent, emits: DoneEvent, numWorkers: 8 })
  async work(ev: ItemEvent): Promise<DoneEvent> {
    return new DoneEvent({ v: ev.i * 2 });
  }

  @step({ accepts: DoneEvent, emits: StopEvent, numWorkers: 1 })
  async collect(ev: DoneEvent, ctx: Context): Promise<StopEvent | null> {
    const all = ctx.collectEvents(
      ev,
      this.#hoisted ?? Array<typeof DoneEvent>(this.n).fill(DoneEvent),
    );
    return all === null ? null : new StopEvent({ result: all.length });
  }
}

/** The same fan-out, fanned in by a counter in `ctx.store` instead of `collectEvents`. */
class FanOutCounterFlow extends Workflow {
  constructor(
    readonly n: number,
    options?: WorkflowOptions,
  ) {
    super(options);
  }

  @step({ accepts: StartEvent, emits: ItemEvent })
  async begin(_ev: StartEvent, ctx: Context): Promise<null> {
    for (let i = 0; i < this.n; i++) ctx.sendEvent(new ItemEvent({ i }));
    return null;
  }

  @step({ accepts: ItemEvent, emits: DoneEvent, numWorkers: 8 })
  async work(ev: ItemEvent): Promise<DoneEvent> {
    return new DoneEvent({ v: ev.i * 2 });
  }

  @step({ accepts: DoneEvent, emits: StopEvent, numWorkers: 1 })
  async collect(_ev: DoneEvent, ctx: Context): Promise<StopEvent | null> {
    const count = (ctx.store.get("count", 0) as number) + 1;
    await ctx.store.set("count", count);
    return count === this.n ? new StopEvent({ result: count }) : null;
  }
}

/**
 * The same fan-out with stepwise's typed fan-out: `begin` returns the N items as an array
 * (`fanOut: true`), `work` runs per item, and `collect` (`collect: true`) runs once with the N
 * results in fan-out order. This is the gather-once shape of the peers' fan-out idioms
 * (Mastra's `.foreach(...).then(collect)`, LangGraph's `Send` with a barrier, workflow-core's
 * `stream.filter(...).take(N)`), where the `collectEvents` flow runs its collector per event.
 */
class FanOutTypedFlow extends Workflow {
  constructor(readonly n: number) {
    super();
  }

  @step({ accepts: StartEvent, emits: ItemEvent, fanOut: true })
  async begin(_ev: StartEvent): Promise<ItemEvent[]> {
    return Array.from({ length: this.n }, (_, i) => new ItemEvent({ i }));
  }

  @step({ accepts: ItemEvent, emits: DoneEvent, numWorkers: 8 })
  async work(ev: ItemEvent): Promise<DoneEvent> {
    return new DoneEvent({ v: ev.i * 2 });
  }

  @step({ accepts: DoneEvent, emits: StopEvent, collect: true })
  async collect(all: DoneEvent[]): Promise<StopEvent> {
    return new StopEvent({ result: all.length });
  }
}

/** Start -> stop in one step. */
export class TinyFlow extends Workflow {
  @step({ accepts: StartEvent, emits: StopEvent })
  async only(_ev: StartEvent): Promise<StopEvent> {
    return new StopEvent({ result: 1 });
  }
}

const noTrace: WorkflowOptions = { trace: false };

function runOf(wf: Workflow, what: string, expected: number): RunOnce {
  return async () => {
    expectEqual("stepwise", what, await wf.run(), expected);
  };
}

/** stepwise: the engine this repository builds. */
export const stepwise: BenchSystem = {
  id: "stepwise",
  label: "stepwise 0.1.0",
  async chain(n) {
    return runOf(new ChainFlow(n), "chain", n);
  },
  async fanOut(n) {
    return runOf(new FanOutFlow(n, true), "fan-out", n);
  },
  async tinyRun() {
    return runOf(new TinyFlow(), "tiny run", 1);
  },
  variants: {
    fanOutPerCall: async (n) => runOf(new FanOutFlow(n, false), "fan-out (list per call)", n),
    fanOutCounter: async (n) => runOf(new FanOutCounterFlow(n), "fan-out (counter)", n),
    fanOutTyped: async (n) => runOf(new FanOutTypedFlow(n), "fan-out (typed)", n),
    chainNoTrace: async (n) => runOf(new ChainFlow(n, noTrace), "chain (no trace)", n),
    fanOutCounterNoTrace: async (n) =>
      runOf(new FanOutCounterFlow(n, noTrace), "fan-out (counter, no trace)", n),
    tinyRunNoTrace: async () => runOf(new TinyFlow(noTrace), "tiny run (no trace)", 1),
  },
};
