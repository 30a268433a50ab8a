import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SpanStatusCode } from "@opentelemetry/api";
import {
  type Context,
  Event,
  InMemoryRuntime,
  StartEvent,
  StopEvent,
  TestClock,
  Workflow,
  WorkflowCancelledError,
  WorkflowRuntimeError,
  WorkflowTimeoutError,
} from "@stepwise/core";
import {
  ATTR_ERROR_TYPE,
  ATTR_RUN_FAILED_STEP,
  ATTR_RUN_STATUS,
  ATTR_TIMEOUT_ACTIVE_STEPS,
  ATTR_TIMEOUT_SECONDS,
  EVENT_CANCEL,
  EVENT_INTERRUPTED,
  EVENT_TIMEOUT,
} from "@stepwise/otel";
import { z } from "zod";
import { isChildOf, spanTree, type Tracing, tracing } from "./tracing.ts";

class Hop extends Event.define({ n: z.number() }) {}

class QuotaError extends Error {
  override readonly name = "QuotaError";
}

/** A promise that settles when the run ends (its step's signal aborts), as a long call would. */
function untilAborted(ctx: Context): Promise<null> {
  return new Promise((resolve) => ctx.signal.addEventListener("abort", () => resolve(null)));
}

/** `first` hands on to `stuck`, which runs until the run ends. */
function stuckFlow(t: Tracing, clock: TestClock, timeout: number | null = 5) {
  const wf = new Workflow({
    name: "Stuck",
    timeout,
    runtime: new InMemoryRuntime({ clock }),
    observers: [t.observer],
  });
  wf.addStep("first", { accepts: StartEvent, emits: Hop }, () => new Hop({ n: 1 }));
  wf.addStep("stuck", { accepts: Hop, emits: StopEvent }, (_ev: Hop, ctx: Context) =>
    untilAborted(ctx),
  );
  return wf;
}

describe("the run span ends on every terminal path", () => {
  it("ends a failed run's span with an error status, the failing step's span recording the exception", async () => {
    const t = tracing();
    const wf = new Workflow({ name: "Failing", observers: [t.observer] });
    wf.addStep("first", { accepts: StartEvent, emits: Hop }, () => new Hop({ n: 1 }));
    wf.addStep("call", { accepts: Hop, emits: StopEvent }, async () => {
      throw new QuotaError("quota exceeded");
    });
    await assert.rejects(wf.run(), QuotaError);
    assert.equal(
      spanTree(t.spans()),
      [
        "workflow.run Failing [failed]",
        "  workflow.step first [event]",
        "  workflow.step call [failed]",
      ].join("\n"),
    );
    const call = t.one("workflow.step call");
    assert.deepEqual(call.status, {
      code: SpanStatusCode.ERROR,
      message: "QuotaError: quota exceeded",
    });
    assert.equal(call.attributes[ATTR_ERROR_TYPE], "QuotaError");
    const exception = call.events.find((event) => event.name === "exception");
    assert.equal(exception?.attributes?.["exception.type"], "QuotaError");
    assert.equal(exception?.attributes?.["exception.message"], "quota exceeded");
    assert.match(String(exception?.attributes?.["exception.stacktrace"]), /QuotaError/);
    const run = t.one("workflow.run Failing");
    assert.equal(run.status.code, SpanStatusCode.ERROR);
    assert.equal(run.attributes[ATTR_RUN_FAILED_STEP], "call");
    assert.equal(run.attributes[ATTR_ERROR_TYPE], "QuotaError");
    assert.equal(run.attributes["workflow.run.end_event"], "WorkflowFailedEvent");
  });

  it("ends a timed-out run's span with a timeout event, and the step it cut off as interrupted", async () => {
    const t = tracing();
    const clock = new TestClock();
    const handler = stuckFlow(t, clock, 5).run();
    const result = assert.rejects(handler, WorkflowTimeoutError);
    await clock.advance(5_000);
    await result;
    assert.equal(
      spanTree(t.spans()),
      [
        "workflow.run Stuck [timedOut]",
        "  workflow.step first [event]",
        "  workflow.step stuck [interrupted]",
      ].join("\n"),
    );
    const run = t.one("workflow.run Stuck");
    assert.equal(run.status.code, SpanStatusCode.ERROR);
    assert.match(run.status.message ?? "", /^WorkflowTimeoutError: /);
    const timeout = run.events.find((event) => event.name === EVENT_TIMEOUT);
    assert.deepEqual(timeout?.attributes, {
      [ATTR_TIMEOUT_SECONDS]: 5,
      [ATTR_TIMEOUT_ACTIVE_STEPS]: ["stuck"],
    });
    const stuck = t.one("workflow.step stuck");
    assert.ok(isChildOf(stuck, run));
    assert.deepEqual(stuck.status, { code: SpanStatusCode.ERROR, message: "The run timed out." });
    assert.deepEqual(
      stuck.events.map((event) => [event.name, event.attributes]),
      [[EVENT_INTERRUPTED, { [ATTR_RUN_STATUS]: "timedOut" }]],
    );
  });

  it("ends a cancelled run's span with a cancel event", async () => {
    const t = tracing();
    const clock = new TestClock();
    const handler = stuckFlow(t, clock).run();
    const result = assert.rejects(handler, WorkflowCancelledError);
    await clock.advance(0);
    await handler.cancel();
    await result;
    assert.equal(
      spanTree(t.spans()),
      [
        "workflow.run Stuck [cancelled]",
        "  workflow.step first [event]",
        "  workflow.step stuck [interrupted]",
      ].join("\n"),
    );
    const run = t.one("workflow.run Stuck");
    assert.deepEqual(
      run.events.map((event) => event.name),
      [EVENT_CANCEL],
    );
    assert.equal(run.status.code, SpanStatusCode.ERROR);
    assert.equal(run.attributes[ATTR_ERROR_TYPE], "WorkflowCancelledError");
  });

  it("ends the span of a run cancelled through its signal before it started", async () => {
    const t = tracing();
    const controller = new AbortController();
    controller.abort();
    const handler = stuckFlow(t, new TestClock()).run(undefined, { signal: controller.signal });
    await assert.rejects(handler, WorkflowCancelledError);
    assert.equal(spanTree(t.spans()), "workflow.run Stuck [cancelled]");
  });

  it("ends a completed run's span, steps still running left as interrupted without an error", async () => {
    const t = tracing();
    const wf = new Workflow({ name: "Race", observers: [t.observer] });
    wf.addStep(
      "fast",
      { accepts: StartEvent, emits: StopEvent },
      () => new StopEvent({ result: 1 }),
    );
    wf.addStep("slow", { accepts: StartEvent, emits: Hop }, (_ev: StartEvent, ctx: Context) =>
      untilAborted(ctx),
    );
    wf.addStep("never", { accepts: Hop, emits: StopEvent }, () => new StopEvent({ result: 2 }));
    assert.equal(await wf.run(), 1);
    assert.equal(
      spanTree(t.spans()),
      [
        "workflow.run Race [completed]",
        "  workflow.step fast [event]",
        "  workflow.step slow [interrupted]",
      ].join("\n"),
    );
    assert.equal(t.one("workflow.step slow").status.code, SpanStatusCode.UNSET);
    assert.equal(t.one("workflow.run Race").status.code, SpanStatusCode.UNSET);
  });

  it("ends the span of a run whose step returned something other than an event", async () => {
    const t = tracing();
    const wf = new Workflow({ name: "Wrong", observers: [t.observer] });
    wf.addStep("bad", { accepts: StartEvent, emits: StopEvent }, () => 42 as never);
    await assert.rejects(wf.run(), WorkflowRuntimeError);
    assert.equal(
      spanTree(t.spans()),
      ["workflow.run Wrong [failed]", "  workflow.step bad [failed]"].join("\n"),
    );
    assert.equal(t.one("workflow.step bad").attributes[ATTR_ERROR_TYPE], "WorkflowRuntimeError");
  });
});
