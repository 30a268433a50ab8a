import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  catchError,
  getWorkflowGraph,
  retryPolicy,
  StartEvent,
  type StepFailedEvent,
  StopEvent,
  step,
  stopAfterAttempt,
  Workflow,
  waitFixed,
} from "@stepwise/core";
import { drawAllPossibleFlows, renderFlowsHtml, truncateLabel } from "@stepwise/draw";
import { ApprovalWorkflow, RAGWorkflow } from "./fixtures/workflows.js";
import { nodeIds, pageData } from "./html.js";

const workDir = mkdtempSync(join(tmpdir(), "stepwise-draw-"));
after(() => rmSync(workDir, { recursive: true, force: true }));

describe("renderFlowsHtml", () => {
  it("draws one node per step and per event of the graph core derives", () => {
    const html = renderFlowsHtml(RAGWorkflow);
    const graph = getWorkflowGraph(RAGWorkflow);
    assert.deepEqual(nodeIds(html).sort(), graph.nodes.map((node) => node.id).sort());
    assert.deepEqual(nodeIds(html).sort(), [
      "event:RetrieveEvent",
      "event:StartEvent",
      "event:StopEvent",
      "step:retrieve",
      "step:synthesize",
    ]);
  });

  it("draws a class without instantiating it", () => {
    class Unbuildable extends RAGWorkflow {
      constructor() {
        super();
        throw new Error("must not be constructed by a drawing");
      }
    }
    assert.match(renderFlowsHtml(Unbuildable), /data-id="step:retrieve"/);
  });

  it("draws steps added to an instance with addStep", () => {
    const wf = new Workflow({ name: "Functional" }).addStep(
      "echo",
      { accepts: StartEvent, emits: StopEvent },
      async (ev) => new StopEvent({ result: ev.get("text") }),
    );
    const html = renderFlowsHtml(wf);
    assert.match(html, /data-id="step:echo"/);
    assert.match(html, /<h1>Functional<\/h1>/);
  });

  it("gives steps, start, stop and other events distinct styles", () => {
    const html = renderFlowsHtml(RAGWorkflow);
    assert.match(html, /class="sw-node sw-step" data-id="step:retrieve"/);
    assert.match(html, /class="sw-node sw-startEvent" data-id="event:StartEvent"/);
    assert.match(html, /class="sw-node sw-event" data-id="event:RetrieveEvent"/);
    assert.match(html, /class="sw-node sw-stopEvent" data-id="event:StopEvent"/);
  });

  it("draws the external node between an input-required and a human-response event", () => {
    const html = renderFlowsHtml(ApprovalWorkflow);
    assert.match(html, /class="sw-node sw-external" data-id="external"/);
    assert.match(html, /data-from="event:ApprovalRequestEvent" data-to="external"/);
    assert.match(html, /data-from="external" data-to="event:ApprovalResponseEvent"/);
  });

  it("describes a step's accepts, emits, workers and retry policy in its details", () => {
    const { details } = pageData(renderFlowsHtml(RAGWorkflow));
    const rows = Object.fromEntries(details["step:synthesize"]!.rows);
    assert.equal(rows.Accepts, "RetrieveEvent");
    assert.equal(rows.Emits, "StopEvent");
    assert.equal(rows.Workers, "4");
    assert.match(rows["Retry policy"]!, /^none/);
  });

  it("describes a step's retry policy and a recovery step's catchError in their details", () => {
    class GuardedWorkflow extends Workflow {
      @step({
        accepts: StartEvent,
        emits: StopEvent,
        numWorkers: 1,
        retry: retryPolicy({ wait: waitFixed(2), stop: stopAfterAttempt(5) }),
      })
      async call() {
        return new StopEvent({ result: "ok" });
      }

      @catchError({ forSteps: ["call"], maxRecoveries: 2, emits: StopEvent })
      async recover(ev: StepFailedEvent) {
        return new StopEvent({ result: `recovered from ${ev.stepName}` });
      }
    }
    const html = renderFlowsHtml(GuardedWorkflow);
    const { details } = pageData(html);
    const call = Object.fromEntries(details["step:call"]!.rows);
    assert.equal(call.Workers, "1");
    assert.match(call["Retry policy"]!, /5 attempts/);
    const recover = Object.fromEntries(details["step:recover"]!.rows);
    assert.equal(recover["Catches errors"], "from call; at most 2 recoveries");
    assert.match(html, />1 worker · retries</, "the step's box says it retries");
    assert.match(html, /catches errors<\/text>/);
  });

  it("lists an event's fields from its JSON schema in its details", () => {
    const { details } = pageData(renderFlowsHtml(RAGWorkflow));
    const fields = details["event:RetrieveEvent"]!.fields!;
    assert.deepEqual(
      fields.map((field) => [field.name, field.type]),
      [
        ["query", "string"],
        ["nodes", "string[]"],
      ],
    );
  });

  it("is self-contained: no external script, style, image or link, and a CSP that forbids loads", () => {
    const html = renderFlowsHtml(RAGWorkflow);
    for (const loader of [/<link\b/, /<img\b/, /\b(src|href)=/, /url\((?!#)/, /@import/]) {
      assert.ok(!loader.test(html), `the page contains ${loader}`);
    }
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  });

  it("shortens long labels to maxLabelLength as label[:max-1] + '*' and keeps the full name", () => {
    const html = renderFlowsHtml(RAGWorkflow, { maxLabelLength: 6 });
    assert.match(html, />synth\*<\/text>/);
    assert.match(html, /<title>synthesize<\/title>/);
    assert.equal(truncateLabel("RetrieveEvent", 6), "Retri*");
    assert.equal(truncateLabel("short", 6), "short");
  });

  it("rejects a maxLabelLength below 1, naming the value", () => {
    assert.throws(
      () => renderFlowsHtml(RAGWorkflow, { maxLabelLength: 0 }),
      /`maxLabelLength`.*got 0/,
    );
  });

  it("rejects something that is not a workflow, naming what it got", () => {
    assert.throws(
      () => renderFlowsHtml({} as never),
      /expected a Workflow subclass.*got an object/,
    );
  });
});

describe("drawAllPossibleFlows", () => {
  it("writes the page to filename, creating folders, and returns the absolute path", () => {
    const filename = join(workDir, "nested", "rag.html");
    const path = drawAllPossibleFlows(RAGWorkflow, { filename });
    assert.equal(path, filename);
    assert.equal(readFileSync(path, "utf8"), renderFlowsHtml(RAGWorkflow));
  });
});
