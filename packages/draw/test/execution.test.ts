import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  drawMostRecentExecution,
  drawMostRecentExecutionMermaid,
  type RunTraceData,
  renderExecutionHtml,
} from "@stepwise/draw";
import {
  ApprovalRequestEvent,
  ApprovalResponseEvent,
  ApprovalWorkflow,
  FlakyWorkflow,
  RAGWorkflow,
} from "./fixtures/workflows.js";
import { nodeIds } from "./html.js";

const workDir = mkdtempSync(join(tmpdir(), "stepwise-execution-"));
after(() => rmSync(workDir, { recursive: true, force: true }));

/** Runs the RAG workflow to its end. The handler is wrapped: returning a thenable would await it. */
async function finishedRag() {
  const handler = new RAGWorkflow().run({ query: "What is AI?" });
  await handler;
  return { handler };
}

describe("drawMostRecentExecution", () => {
  it("draws each event instance and step invocation the run recorded", async () => {
    const { handler } = await finishedRag();
    const trace = handler.trace();
    const html = renderExecutionHtml(handler);
    assert.equal(
      nodeIds(html).length,
      trace.events.length + trace.invocations.length,
      "one node per event and per invocation",
    );
    for (const invocation of trace.invocations)
      assert.match(html, new RegExp(`>${invocation.id}<`));
    assert.match(html, /retrieve#\d+/);
    assert.match(html, /synthesize#\d+/);
  });

  it("marks the start and stop events of the run", async () => {
    const html = renderExecutionHtml((await finishedRag()).handler);
    assert.match(html, /class="sw-node sw-startEvent" data-id="event:\d+"[^>]*><title>StartEvent</);
    assert.match(html, /class="sw-node sw-stopEvent" data-id="event:\d+"[^>]*><title>StopEvent</);
  });

  it("draws only the branch that ran", async () => {
    const wf = new FlakyWorkflow();
    const handler = wf.run({ url: "https://example.test/a" });
    await handler;
    const html = renderExecutionHtml(handler);
    assert.match(html, /<title>FetchEvent<\/title>/);
    assert.doesNotMatch(html, /CachedEvent/);
    assert.doesNotMatch(html, /fromCache/);
  });

  it("shows retried attempts, linked by retry edges, before the attempt that succeeded", async () => {
    const wf = new FlakyWorkflow();
    wf.failures = 2;
    const handler = wf.run({ url: "https://example.test/a" });
    assert.equal(await handler, "fetched https://example.test/a");
    const trace = handler.trace();
    const fetches = trace.invocations.filter((invocation) => invocation.stepName === "fetch");
    assert.deepEqual(
      fetches.map((invocation) => [invocation.attempt, invocation.outcome]),
      [
        [0, "retrying"],
        [1, "retrying"],
        [2, "completed"],
      ],
    );
    const html = renderExecutionHtml(handler);
    assert.equal(html.match(/class="sw-node sw-stepRetrying"/g)?.length, 2);
    assert.equal(html.match(/class="sw-edge sw-edge-retry"/g)?.length, 2);
    assert.match(
      html,
      /connection reset \(call 1\)/,
      "the error of a retried attempt is in its details",
    );
  });

  it("shows the failed attempt and its error when the retries run out", async () => {
    const wf = new FlakyWorkflow();
    wf.failures = 99;
    const handler = wf.run({ url: "https://example.test/a" });
    await assert.rejects(Promise.resolve(handler), /connection reset \(call 3\)/);
    const trace = handler.trace();
    assert.equal(trace.status, "failed");
    const html = renderExecutionHtml(handler);
    assert.equal(html.match(/class="sw-node sw-stepFailed"/g)?.length, 1);
    assert.match(html, /failed ·/);
    assert.match(html, /connection reset \(call 3\)/);
  });

  it("draws a run in progress, and a human's response as coming from outside the run", async () => {
    const handler = new ApprovalWorkflow().run({ topic: "stepwise" });
    let midRun = "";
    for await (const ev of handler.streamEvents()) {
      if (ev instanceof ApprovalRequestEvent) {
        midRun = renderExecutionHtml(handler);
        handler.sendEvent(new ApprovalResponseEvent({ approved: true }));
      }
    }
    assert.equal(await handler, "published");
    assert.match(midRun, /still running/);
    assert.doesNotMatch(midRun, /ApprovalResponseEvent/);

    const html = renderExecutionHtml(handler);
    assert.match(html, /class="sw-node sw-external" data-id="external"/);
    const response = handler.trace().events.find((ev) => ev.eventType === "ApprovalResponseEvent");
    assert.ok(response, "the trace records the response");
    assert.match(html, new RegExp(`data-from="external" data-to="event:${response.id}"`));
  });

  it("draws a trace that travelled as JSON", async () => {
    const { handler } = await finishedRag();
    const trace = JSON.parse(JSON.stringify(handler.trace())) as RunTraceData;
    assert.equal(renderExecutionHtml(trace), renderExecutionHtml(handler));
  });

  it("writes the page to filename and returns its path", async () => {
    const { handler } = await finishedRag();
    const filename = join(workDir, "run.html");
    assert.equal(drawMostRecentExecution(handler, { filename }), filename);
    assert.match(readFileSync(filename, "utf8"), /^<!doctype html>/);
  });
});

describe("drawMostRecentExecutionMermaid", () => {
  it("lists the run's events and invocations in order, with retry edges and outcome styles", async () => {
    const wf = new FlakyWorkflow();
    wf.failures = 1;
    const handler = wf.run({ url: "https://example.test/a" });
    await handler;
    const text = drawMostRecentExecutionMermaid(handler, { workflow: FlakyWorkflow });
    const output = text.split("\n");
    assert.equal(output[0], "flowchart TD");
    assert.ok(output.some((line) => /^ {4}event_\d+\(\["StartEvent<br\/>/.test(line)));
    assert.ok(
      output.some((line) => line.includes("fetch#35;") && line.endsWith(":::retryingStepStyle")),
    );
    assert.ok(output.some((line) => / -\. retry \.-> /.test(line)));
    assert.ok(output.includes("    classDef failedStepStyle fill:#FF8A80,color:#000000"));
    assert.doesNotMatch(text, /CachedEvent/);
  });

  it("writes the text to filename when one is given", async () => {
    const { handler } = await finishedRag();
    const filename = join(workDir, "run.mmd");
    const text = drawMostRecentExecutionMermaid(handler, { filename });
    assert.equal(readFileSync(filename, "utf8"), text);
  });
});
