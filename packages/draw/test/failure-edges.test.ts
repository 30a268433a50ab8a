import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  catchError,
  StartEvent,
  type StepFailedEvent,
  StopEvent,
  step,
  Workflow,
} from "@stepwise/core";
import {
  drawAllPossibleFlowsMermaid,
  drawMostRecentExecutionMermaid,
  renderExecutionHtml,
  renderFlowsHtml,
} from "@stepwise/draw";
import { CatchAllWorkflow, FlakyWorkflow, RecoveringWorkflow } from "./fixtures/workflows.js";
import { drawnEdges, nodeIds, pageData } from "./html.js";

async function recoveredRun() {
  const handler = new RecoveringWorkflow().run({ amount: 5 });
  assert.equal(await handler, "refunded after charge failed");
  return { handler };
}

describe("a run recovered by @catchError", () => {
  it("records the StepFailedEvent as produced by the attempt that failed", async () => {
    const trace = (await recoveredRun()).handler.trace();
    const failedEvent = trace.events.find((ev) => ev.eventType === "StepFailedEvent");
    const failed = trace.invocations.find((invocation) => invocation.outcome === "failed");
    assert.ok(failedEvent && failed);
    assert.equal(failed.stepName, "charge");
    assert.equal(failed.attempt, 1, "the second attempt, after one retry");
    assert.equal(failedEvent.producedBy, failed.id);
    assert.deepEqual(failed.emitted, [failedEvent.id]);
  });

  it("draws the StepFailedEvent from the failed attempt, not from outside the run", async () => {
    const { handler } = await recoveredRun();
    const trace = handler.trace();
    const html = renderExecutionHtml(handler);
    assert.ok(!nodeIds(html).includes("external"), "no `outside the run` node");
    const failedEvent = trace.events.find((ev) => ev.eventType === "StepFailedEvent")!;
    const failedIndex = trace.invocations.findIndex(
      (invocation) => invocation.outcome === "failed",
    );
    const into = drawnEdges(html).filter((edge) => edge.to === `event:${failedEvent.id}`);
    assert.deepEqual(into, [
      {
        className: "sw-edge sw-edge-failure",
        from: `invocation:${failedIndex}`,
        to: `event:${failedEvent.id}`,
        label: "failed",
      },
    ]);
    const rows = Object.fromEntries(pageData(html).details[`event:${failedEvent.id}`]!.rows);
    assert.equal(rows["Produced by"], "the engine, for charge#3 (attempt 2), which failed");
  });

  it("says so in Mermaid with a dotted `failed` edge", async () => {
    const { handler } = await recoveredRun();
    const text = drawMostRecentExecutionMermaid(handler);
    assert.match(text, /invocation_2 -\. failed \.-> event_3/);
    assert.doesNotMatch(text, /^ {4}external\[/m, "no `outside the run` node");
  });
});

describe("a run that failed", () => {
  it("draws WorkflowFailedEvent as the stop event, from the attempt whose error ended the run", async () => {
    const wf = new FlakyWorkflow();
    wf.failures = 99;
    const handler = wf.run({ url: "https://example.test/a" });
    await assert.rejects(Promise.resolve(handler));
    const trace = handler.trace();
    const html = renderExecutionHtml(handler);
    assert.ok(!nodeIds(html).includes("external"), "no `outside the run` node");
    const ending = trace.events.find((ev) => ev.eventType === "WorkflowFailedEvent")!;
    const last = trace.invocations.length - 1;
    assert.equal(trace.invocations[last]!.outcome, "failed");
    assert.match(html, new RegExp(`class="sw-node sw-stopEvent" data-id="event:${ending.id}"`));
    assert.ok(
      drawnEdges(html).some(
        (edge) => edge.from === `invocation:${last}` && edge.to === `event:${ending.id}`,
      ),
    );
    const rows = Object.fromEntries(pageData(html).details[`event:${ending.id}`]!.rows);
    assert.match(rows["Produced by"]!, /the engine, when fetch#4 \(attempt 3\) failed/);
  });
});

describe("the drawing of all possible flows with @catchError", () => {
  it("draws an `on failure` edge from each step a scoped handler covers to its StepFailedEvent", () => {
    const failures = drawnEdges(renderFlowsHtml(RecoveringWorkflow)).filter(
      (edge) => edge.className === "sw-edge sw-edge-failure",
    );
    assert.deepEqual(failures, [
      {
        className: "sw-edge sw-edge-failure",
        from: "step:charge",
        to: "event:StepFailedEvent",
        label: "on failure",
      },
    ]);
  });

  it("covers every step but the handler when the handler has no forSteps", () => {
    const froms = drawnEdges(renderFlowsHtml(CatchAllWorkflow))
      .filter((edge) => edge.className === "sw-edge sw-edge-failure")
      .map((edge) => edge.from);
    assert.deepEqual(froms, ["step:begin", "step:charge"]);
  });

  it("names the handler on each failure edge when several handlers share the event", () => {
    class TwoHandlers extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async work() {
        return new StopEvent({});
      }

      @step({ accepts: StartEvent, emits: StopEvent })
      async audit() {
        return new StopEvent({});
      }

      @catchError({ forSteps: ["work"], emits: StopEvent })
      async retryLater(ev: StepFailedEvent) {
        return new StopEvent({ result: ev.stepName });
      }

      @catchError({ emits: StopEvent })
      async report(ev: StepFailedEvent) {
        return new StopEvent({ result: ev.stepName });
      }
    }
    const labels = drawnEdges(renderFlowsHtml(TwoHandlers))
      .filter((edge) => edge.className === "sw-edge sw-edge-failure")
      .map((edge) => `${edge.from} ${edge.label}`);
    assert.deepEqual(labels, ["step:work on failure: retryLater", "step:audit on failure: report"]);
  });

  it("says in a covered step's details where its failures go, and who sends StepFailedEvent", () => {
    const { details } = pageData(renderFlowsHtml(RecoveringWorkflow));
    const charge = Object.fromEntries(details["step:charge"]!.rows);
    assert.equal(charge["On failure"], "StepFailedEvent to refund, once retries run out");
    const notify = Object.fromEntries(details["step:notify"]!.rows);
    assert.equal(notify["On failure"], undefined);
    assert.equal(notify["Retry policy"], "none (a failure ends the run)");
    const event = Object.fromEntries(details["event:StepFailedEvent"]!.rows);
    assert.equal(event["Emitted by"], "charge (when it fails)");
  });

  it("draws the failure edges in Mermaid as dotted `on failure` links", () => {
    const text = drawAllPossibleFlowsMermaid(RecoveringWorkflow);
    assert.ok(text.split("\n").includes("    step_charge -. on failure .-> event_StepFailedEvent"));
  });
});
