// @stepwise/server with `runContext: continueTrace`: a run started by a request continues the
// trace of the request's `traceparent` header.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { propagation } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { Event, StartEvent, StopEvent, Workflow } from "@stepwise/core";
import { ATTR_STEP_NAME, continueTrace } from "@stepwise/otel";
import { createServer, type ServerOptions } from "@stepwise/server";
import { z } from "zod";
import { isChildOf, tracing } from "./tracing.ts";

propagation.setGlobalPropagator(new W3CTraceContextPropagator());
after(() => propagation.disable());

class Asked extends Event.define({ question: z.string() }) {}

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID = "00f067aa0ba902b7";

function app(options: Partial<ServerOptions> = {}) {
  const t = tracing();
  const wf = new Workflow({ name: "Ask", observers: [t.observer] });
  wf.addStep("ask", { accepts: StartEvent, emits: Asked }, async (ev: StartEvent) => {
    await new Promise((resolve) => setImmediate(resolve));
    return new Asked({ question: String(ev.get("question")) });
  });
  wf.addStep(
    "answer",
    { accepts: Asked, emits: StopEvent },
    (ev: Asked) => new StopEvent({ result: `${ev.question}: yes` }),
  );
  const server = createServer({ workflows: { ask: wf }, debugger: false, ...options });
  return { t, server };
}

async function run(server: ReturnType<typeof createServer>, headers: Record<string, string>) {
  const response = await server.request("/workflows/ask/run", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ start_event: { question: "traced?" } }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return response.json();
}

describe("@stepwise/server with runContext: continueTrace", () => {
  it("makes the run span a child of the traceparent header's span, with the steps under it", async () => {
    const { t, server } = app({ runContext: continueTrace });
    await run(server, { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` });
    const runSpan = t.one("workflow.run Ask");
    assert.equal(runSpan.spanContext().traceId, TRACE_ID);
    assert.equal(runSpan.parentSpanContext?.spanId, PARENT_ID);
    assert.equal(runSpan.parentSpanContext?.isRemote, true);
    for (const name of ["ask", "answer"]) {
      const step = t.one(`workflow.step ${name}`);
      assert.equal(step.attributes[ATTR_STEP_NAME], name);
      assert.ok(isChildOf(step, runSpan), `${name} under the run span`);
    }
  });

  it("starts a new trace for a request without traceparent", async () => {
    const { t, server } = app({ runContext: continueTrace });
    await run(server, {});
    const runSpan = t.one("workflow.run Ask");
    assert.equal(runSpan.parentSpanContext, undefined);
    assert.notEqual(runSpan.spanContext().traceId, TRACE_ID);
  });

  it("ignores traceparent without the option", async () => {
    const { t, server } = app();
    await run(server, { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` });
    const runSpan = t.one("workflow.run Ask");
    assert.equal(runSpan.parentSpanContext, undefined);
  });
});
