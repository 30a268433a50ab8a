import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { context, trace } from "@opentelemetry/api";
import type { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { Event, InMemoryRuntime, StartEvent, StopEvent, Workflow } from "@stepwise/core";
import {
  ATTR_RUN_ID,
  ATTR_RUN_RESUMED,
  ATTR_RUN_STATUS,
  ATTR_STEP_ATTEMPT,
  ATTR_STEP_INPUT_COUNT,
  ATTR_STEP_INPUT_EVENT,
  ATTR_STEP_NAME,
  ATTR_STEP_OUTCOME,
  ATTR_STEP_OUTPUT_COUNT,
  ATTR_STEP_OUTPUT_EVENT,
  ATTR_STEP_OUTPUT_EVENTS,
  ATTR_STEP_WORKER_ID,
  ATTR_WORKFLOW_NAME,
  createTracingObserver,
  VERSION,
} from "@stepwise/otel";
import { z } from "zod";
import { isChildOf, spanTree, type Tracing, tracing } from "./tracing.ts";

class Hop extends Event.define({ n: z.number() }) {}
class Item extends Event.define({ i: z.number() }) {}
class Done extends Event.define({ i: z.number() }) {}

/** Lets `n` turns of the event loop pass: steps that await different counts interleave. */
async function turns(n: number): Promise<void> {
  for (let k = 0; k < n; k++) await new Promise((resolve) => setImmediate(resolve));
}

function chain(t: Tracing, options: { name?: string } = {}) {
  const wf = new Workflow({ name: options.name ?? "Chain", observers: [t.observer] });
  wf.addStep("first", { accepts: StartEvent, emits: Hop }, () => new Hop({ n: 1 }));
  wf.addStep("second", { accepts: Hop, emits: StopEvent }, async (ev: Hop) => {
    await turns(1);
    return new StopEvent({ result: ev.n + 1 });
  });
  return wf;
}

/** A fan-out of `n` items to `work` (4 workers), gathered by `combine`. */
function fanOut(t: Tracing, n: number, work: (ev: Item) => Promise<Done>) {
  const wf = new Workflow({ name: "Fan", observers: [t.observer] });
  wf.addStep("split", { accepts: StartEvent, emits: Item, fanOut: true }, () =>
    Array.from({ length: n }, (_, i) => new Item({ i })),
  );
  wf.addStep("work", { accepts: Item, emits: Done, numWorkers: 4 }, work);
  wf.addStep(
    "combine",
    { accepts: Done, emits: StopEvent, collect: true },
    (all: Done[]) => new StopEvent({ result: all.map((d) => d.i) }),
  );
  return wf;
}

describe("run and step spans", () => {
  it("makes one span per run and a child span per step invocation", async () => {
    const t = tracing();
    assert.equal(await chain(t).run(), 2);
    assert.equal(
      spanTree(t.spans()),
      [
        "workflow.run Chain [completed]",
        "  workflow.step first [event]",
        "  workflow.step second [event]",
      ].join("\n"),
    );
  });

  it("names the workflow, run, step, worker, attempt and the input and output events", async () => {
    const t = tracing();
    const handler = chain(t).run(undefined, { runId: "run-1" });
    await handler;
    const run = t.one("workflow.run Chain");
    assert.deepEqual(run.attributes, {
      [ATTR_WORKFLOW_NAME]: "Chain",
      [ATTR_RUN_ID]: "run-1",
      [ATTR_RUN_RESUMED]: false,
      [ATTR_RUN_STATUS]: "completed",
      "workflow.run.end_event": "StopEvent",
    });
    const second = t.one("workflow.step second");
    assert.deepEqual(second.attributes, {
      [ATTR_WORKFLOW_NAME]: "Chain",
      [ATTR_RUN_ID]: "run-1",
      [ATTR_STEP_NAME]: "second",
      [ATTR_STEP_WORKER_ID]: 0,
      [ATTR_STEP_ATTEMPT]: 1,
      "workflow.step.invocation": 2,
      [ATTR_STEP_INPUT_EVENT]: "Hop",
      [ATTR_STEP_OUTCOME]: "event",
      [ATTR_STEP_OUTPUT_EVENT]: "StopEvent",
    });
    assert.ok(isChildOf(second, run));
    assert.equal(second.ended, true);
    assert.equal(run.status.code, 0);
  });

  it("traces a fan-out with numWorkers: 4 as one span per branch, on four workers, under the run", async () => {
    const t = tracing();
    let running = 0;
    let most = 0;
    const wf = fanOut(t, 8, async (ev) => {
      most = Math.max(most, ++running);
      await turns(8 - ev.i);
      running--;
      return new Done({ i: ev.i });
    });
    assert.deepEqual(await wf.run(), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(most, 4);
    assert.equal(
      spanTree(t.spans()),
      [
        "workflow.run Fan [completed]",
        "  workflow.step split [events]",
        ...Array<string>(8).fill("  workflow.step work [event]"),
        "  workflow.step combine [event]",
      ].join("\n"),
    );
    const run = t.one("workflow.run Fan");
    const work = t.named("workflow.step work");
    assert.ok(work.every((span) => isChildOf(span, run)));
    assert.deepEqual(
      [...new Set(work.map((span) => span.attributes[ATTR_STEP_WORKER_ID]))].sort(),
      [0, 1, 2, 3],
    );
    const split = t.one("workflow.step split");
    assert.deepEqual(split.attributes[ATTR_STEP_OUTPUT_EVENTS], ["Item"]);
    assert.equal(split.attributes[ATTR_STEP_OUTPUT_COUNT], 8);
    assert.equal(t.one("workflow.step combine").attributes[ATTR_STEP_INPUT_COUNT], 8);
  });

  it("runs each step with its own span active, across awaits, concurrent steps apart", async () => {
    const t = tracing();
    const activeBefore = new Map<number, string | undefined>();
    const activeAfter = new Map<number, string | undefined>();
    const wf = fanOut(t, 8, async (ev) => {
      activeBefore.set(ev.i, trace.getActiveSpan()?.spanContext().spanId);
      await turns(8 - ev.i);
      activeAfter.set(ev.i, trace.getActiveSpan()?.spanContext().spanId);
      await t.tracer.startActiveSpan("inner", { attributes: { i: ev.i } }, async (span) => {
        await turns(ev.i % 3);
        span.end();
      });
      return new Done({ i: ev.i });
    });
    await wf.run();
    const work = new Map(t.named("workflow.step work").map((s) => [s.spanContext().spanId, s]));
    assert.equal(work.size, 8);
    assert.equal(new Set(activeBefore.values()).size, 8);
    assert.deepEqual(activeAfter, activeBefore);
    for (const inner of t.named("inner")) {
      const i = inner.attributes.i as number;
      const parent = work.get(activeBefore.get(i) as string);
      assert.ok(parent, `the span active in branch ${i} is a step span`);
      assert.ok(isChildOf(inner, parent), `branch ${i}'s span is a child of its step span`);
    }
  });

  it("makes the run span a child of the span active where run() was called", async () => {
    const t = tracing();
    const wf = chain(t);
    await t.tracer.startActiveSpan("request", async (request) => {
      await wf.run();
      request.end();
    });
    assert.equal(
      spanTree(t.spans()),
      [
        "request",
        "  workflow.run Chain [completed]",
        "    workflow.step first [event]",
        "    workflow.step second [event]",
      ].join("\n"),
    );
  });

  it("keeps concurrent runs started under different spans in their own traces", async () => {
    const t = tracing();
    const wf = chain(t);
    const a = t.tracer.startSpan("a");
    const b = t.tracer.startSpan("b");
    const runA = context.with(trace.setSpan(context.active(), a), () => wf.run());
    const runB = context.with(trace.setSpan(context.active(), b), () => wf.run());
    await Promise.all([runA, runB]);
    a.end();
    b.end();
    for (const [parent, handler] of [
      [a, runA],
      [b, runB],
    ] as const) {
      const run = t
        .named("workflow.run Chain")
        .find((span) => span.attributes[ATTR_RUN_ID] === handler.runId);
      assert.ok(run);
      assert.equal(run.parentSpanContext?.spanId, parent.spanContext().spanId);
      const steps = t
        .spans()
        .filter((span) => span.attributes[ATTR_RUN_ID] === handler.runId && span !== run);
      assert.equal(steps.length, 2);
      assert.ok(steps.every((span) => isChildOf(span, run)));
    }
  });

  it("makes a run that waited for a numConcurrentRuns slot a child of the span active where run() was called", async () => {
    const t = tracing();
    const wf = new Workflow({ name: "One", numConcurrentRuns: 1, observers: [t.observer] });
    wf.addStep("only", { accepts: StartEvent, emits: StopEvent }, async () => {
      await turns(2);
      return new StopEvent({ result: 1 });
    });
    const a = t.tracer.startSpan("a");
    const b = t.tracer.startSpan("b");
    const first = context.with(trace.setSpan(context.active(), a), () => wf.run());
    const second = context.with(trace.setSpan(context.active(), b), () => wf.run());
    await Promise.all([first, second]);
    const run = t
      .named("workflow.run One")
      .find((span) => span.attributes[ATTR_RUN_ID] === second.runId);
    assert.equal(run?.parentSpanContext?.spanId, b.spanContext().spanId);
  });

  it("traces every run of a runtime given the observer", async () => {
    const t = tracing();
    const runtime = new InMemoryRuntime({ observers: [t.observer] });
    for (const name of ["One", "Two"]) {
      const wf = new Workflow({ name, runtime });
      wf.addStep("only", { accepts: StartEvent, emits: StopEvent }, () => new StopEvent({}));
      await wf.run();
    }
    assert.equal(
      spanTree(t.spans()),
      [
        "workflow.run One [completed]",
        "  workflow.step only [event]",
        "workflow.run Two [completed]",
        "  workflow.step only [event]",
      ].join("\n"),
    );
  });

  it("uses the global provider's `@stepwise/otel` tracer, at this package's version, by default", async () => {
    const t = tracing();
    trace.setGlobalTracerProvider(t.provider);
    try {
      const wf = new Workflow({ name: "Global", observers: [createTracingObserver()] });
      wf.addStep("only", { accepts: StartEvent, emits: StopEvent }, () => new StopEvent({}));
      await wf.run();
      const run = t.one("workflow.run Global");
      assert.deepEqual(run.instrumentationScope, {
        name: "@stepwise/otel",
        version: VERSION,
        schemaUrl: undefined,
      });
    } finally {
      trace.disable();
    }
    const own = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    assert.equal(VERSION, own.version);
  });

  it("takes a tracer provider instead of a tracer", async () => {
    const t = tracing();
    const provider: BasicTracerProvider = t.provider;
    const wf = new Workflow({
      name: "Provided",
      observers: [createTracingObserver({ tracerProvider: provider })],
    });
    wf.addStep("only", { accepts: StartEvent, emits: StopEvent }, () => new StopEvent({}));
    await wf.run();
    assert.equal(t.one("workflow.run Provided").instrumentationScope.name, "@stepwise/otel");
  });
});
