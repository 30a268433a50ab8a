import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SpanStatusCode } from "@opentelemetry/api";
import {
  type Context,
  InMemoryRuntime,
  retryPolicy,
  StartEvent,
  StepFailedEvent,
  StopEvent,
  stopAfterAttempt,
  TestClock,
  Workflow,
  waitFixed,
} from "@stepwise/core";
import {
  ATTR_RETRY_DELAY_MS,
  ATTR_RETRY_NEXT_ATTEMPT,
  ATTR_STEP_ATTEMPT,
  EVENT_RETRY,
} from "@stepwise/otel";
import { isChildOf, spanTree, type Tracing, tracing } from "./tracing.ts";

class RateLimitError extends Error {
  override readonly name = "RateLimitError";
}

/** `call` fails `failures` times, then stops with the attempt it succeeded on; 3 attempts at most, 2 s apart. */
function flaky(t: Tracing, clock: TestClock, failures: number) {
  const wf = new Workflow({
    name: "Flaky",
    runtime: new InMemoryRuntime({ clock }),
    observers: [t.observer],
  });
  wf.addStep(
    "call",
    {
      accepts: StartEvent,
      emits: StopEvent,
      retry: retryPolicy({ wait: waitFixed(2), stop: stopAfterAttempt(3) }),
    },
    async (_ev: StartEvent, ctx: Context) => {
      const attempt = ctx.retryInfo().retryNumber + 1;
      if (attempt <= failures) throw new RateLimitError(`slow down (attempt ${attempt})`);
      return new StopEvent({ result: attempt });
    },
  );
  return wf;
}

describe("retries", () => {
  it("traces each attempt of a retried step as a span of its own, the retry as an event on the failed one", async () => {
    const t = tracing();
    const clock = new TestClock();
    const handler = flaky(t, clock, 2).run();
    await clock.advance(2_000);
    await clock.advance(2_000);
    assert.equal(await handler, 3);
    assert.equal(
      spanTree(t.spans()),
      [
        "workflow.run Flaky [completed]",
        "  workflow.step call [retrying]",
        "  workflow.step call [retrying]",
        "  workflow.step call [event]",
      ].join("\n"),
    );
    const run = t.one("workflow.run Flaky");
    const attempts = t.named("workflow.step call");
    assert.ok(attempts.every((span) => isChildOf(span, run)));
    assert.deepEqual(
      attempts.map((span) => span.attributes[ATTR_STEP_ATTEMPT]),
      [1, 2, 3],
    );
    assert.deepEqual(
      attempts.map((span) => span.status),
      [
        { code: SpanStatusCode.ERROR, message: "RateLimitError: slow down (attempt 1)" },
        { code: SpanStatusCode.ERROR, message: "RateLimitError: slow down (attempt 2)" },
        { code: SpanStatusCode.UNSET },
      ],
    );
    assert.deepEqual(
      attempts.map((span) =>
        span.events.map((event) => [event.name, event.attributes?.[ATTR_RETRY_NEXT_ATTEMPT]]),
      ),
      [
        [
          ["exception", undefined],
          [EVENT_RETRY, 2],
        ],
        [
          ["exception", undefined],
          [EVENT_RETRY, 3],
        ],
        [],
      ],
    );
    const retry = attempts[0]?.events.find((event) => event.name === EVENT_RETRY);
    assert.equal(retry?.attributes?.[ATTR_RETRY_DELAY_MS], 2_000);
    assert.equal(run.status.code, SpanStatusCode.UNSET);
  });

  it("marks the last attempt failed when the retries run out, and fails the run", async () => {
    const t = tracing();
    const clock = new TestClock();
    const handler = flaky(t, clock, 5).run();
    const result = assert.rejects(handler, RateLimitError);
    await clock.advance(2_000);
    await clock.advance(2_000);
    await result;
    assert.equal(
      spanTree(t.spans()),
      [
        "workflow.run Flaky [failed]",
        "  workflow.step call [retrying]",
        "  workflow.step call [retrying]",
        "  workflow.step call [failed]",
      ].join("\n"),
    );
    assert.equal(t.one("workflow.run Flaky").status.code, SpanStatusCode.ERROR);
  });

  it("traces a @catchError recovery as the handler's step span after the failed one", async () => {
    const t = tracing();
    const wf = new Workflow({ name: "Recovering", observers: [t.observer] });
    wf.addStep("call", { accepts: StartEvent, emits: StopEvent }, () => {
      throw new RateLimitError("no");
    });
    wf.addStep(
      "fallback",
      { accepts: StepFailedEvent, emits: StopEvent, catchError: { forSteps: ["call"] } },
      (ev: StepFailedEvent) => new StopEvent({ result: `recovered from ${ev.stepName}` }),
    );
    assert.equal(await wf.run(), "recovered from call");
    assert.equal(
      spanTree(t.spans()),
      [
        "workflow.run Recovering [completed]",
        "  workflow.step call [failed]",
        "  workflow.step fallback [event]",
      ].join("\n"),
    );
    assert.equal(
      t.one("workflow.step fallback").attributes["workflow.step.input_event"],
      "StepFailedEvent",
    );
  });
});
