import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StartEvent, StopEvent, Workflow, WorkflowValidationError } from "@stepwise/core";
import { decodeTick, encodeTick, type Tick, workflowSpec } from "@stepwise/core/runtime";

class QuotaError extends Error {
  override readonly name = "QuotaError";
  constructor(
    message: string,
    readonly limit: number,
  ) {
    super(message);
  }
}

function flow(options: { errors?: unknown } = {}) {
  return new Workflow(options as never).addStep(
    "only",
    { accepts: StartEvent, emits: StopEvent },
    () => new StopEvent({}),
  );
}

function failed(error: Error): Tick {
  return {
    type: "stepResult",
    step: "only",
    workerId: 0,
    outcome: {
      kind: "failed",
      error: { name: error.name, message: error.message, value: error },
      retryDelayMs: null,
    },
  };
}

describe("the workflow's `errors` option", () => {
  it("revives a journaled failure of a declared class as that class, with its fields", () => {
    const wf = flow({ errors: [QuotaError] });
    const spec = workflowSpec(wf);
    const json = JSON.parse(JSON.stringify(encodeTick(failed(new QuotaError("over", 10)))));
    const tick = decodeTick(json, spec.registry, { errors: spec.errors });
    assert.ok(tick.type === "stepResult" && tick.outcome.kind === "failed");
    const value = tick.outcome.error.value;
    assert.ok(value instanceof QuotaError);
    assert.equal(value.limit, 10);
    assert.equal(value.message, "over");
  });

  it("without it, revives the failure as an Error that keeps the name", () => {
    const spec = workflowSpec(flow());
    const json = JSON.parse(JSON.stringify(encodeTick(failed(new QuotaError("over", 10)))));
    const tick = decodeTick(json, spec.registry, { errors: spec.errors });
    assert.ok(tick.type === "stepResult" && tick.outcome.kind === "failed");
    const value = tick.outcome.error.value as Error;
    assert.ok(!(value instanceof QuotaError));
    assert.equal(value.name, "QuotaError");
  });

  it("is refused when it lists something that is not an error class", () => {
    assert.throws(() => flow({ errors: [String] }), WorkflowValidationError);
    assert.throws(() => flow({ errors: "QuotaError" }), /`errors` of Workflow must be an array/);
  });
});
