import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { getWorkflowGraph } from "@stepwise/core";
import { drawAllPossibleFlows, drawMostRecentExecution } from "@stepwise/draw";
import type { Browser } from "playwright-core";
import {
  assertEdgeVisible,
  assertNodeVisible,
  browserSkipReason,
  launchChromium,
  type OpenDrawing,
  openDrawing,
  saveScreenshot,
  viewportTransform,
} from "./browser.js";
import {
  ApprovalWorkflow,
  FanOutWorkflow,
  FlakyWorkflow,
  LoopWorkflow,
  RAGWorkflow,
  RecoveringWorkflow,
} from "./fixtures/workflows.js";

const skip = browserSkipReason();
const workDir = mkdtempSync(join(tmpdir(), "stepwise-browser-"));
let browser: Browser | undefined;

before(async () => {
  if (!skip) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  rmSync(workDir, { recursive: true, force: true });
});

/** The on-screen font size of every node label, in px (font size times the zoom). */
async function labelFontSizes(
  drawing: OpenDrawing,
): Promise<{ text: string; px: number; height: number }[]> {
  return drawing.page.$$eval(".sw-label", (labels) =>
    labels.map((label) => {
      const text = label as SVGTextElement;
      const scale = text.getScreenCTM()?.a ?? 0;
      return {
        text: text.textContent ?? "",
        px: Number(text.getAttribute("font-size")) * scale,
        height: text.getBoundingClientRect().height,
      };
    }),
  );
}

describe("the page of all possible flows of the RAG workflow, in Chromium", { skip }, () => {
  let drawing: OpenDrawing;

  before(async () => {
    const path = drawAllPossibleFlows(RAGWorkflow, { filename: join(workDir, "rag.html") });
    drawing = await openDrawing(browser!, path);
  });
  after(async () => drawing?.close());

  it("shows every step and event label inside the window", async () => {
    for (const node of getWorkflowGraph(RAGWorkflow).nodes) {
      const label = node.kind === "event" ? node.eventType : node.name;
      await assertNodeVisible(drawing, node.id, label);
    }
    await saveScreenshot(drawing.page, "rag-flows.png");
  });

  it("shows a step's accepts, emits, workers and retry policy when it is clicked", async () => {
    await drawing.page.click('.sw-node[data-id="step:retrieve"]');
    const panel = drawing.page.locator("#sw-panel-body");
    assert.equal(await panel.locator(".sw-title").textContent(), "retrieve");
    const text = (await panel.textContent()) ?? "";
    assert.match(text, /AcceptsStartEvent/);
    assert.match(text, /EmitsRetrieveEvent/);
    assert.match(text, /Workers4/);
    assert.match(text, /Retry policynone/);
  });

  it("shows an event's fields when it is clicked", async () => {
    await drawing.page.click('.sw-node[data-id="event:RetrieveEvent"]');
    const panel = drawing.page.locator("#sw-panel-body");
    assert.equal(await panel.locator(".sw-title").textContent(), "RetrieveEvent");
    const names = await panel.locator(".sw-field-name").allTextContents();
    assert.deepEqual(names, ["query", "nodes"]);
    assert.deepEqual(await panel.locator(".sw-field-type").allTextContents(), [
      "string",
      "string[]",
    ]);
    await saveScreenshot(drawing.page, "rag-flows-details.png");
  });

  it("zooms with the wheel, pans by dragging, and fits again with the Fit button", async () => {
    const { page } = drawing;
    await page.click("#sw-fit");
    const fitted = await viewportTransform(page);
    await page.mouse.move(400, 400);
    await page.mouse.wheel(0, -400);
    const zoomed = await viewportTransform(page);
    assert.ok(zoomed[2] > fitted[2], `wheel up zooms in (${fitted[2]} -> ${zoomed[2]})`);

    await page.mouse.move(300, 300);
    await page.mouse.down();
    await page.mouse.move(360, 340, { steps: 4 });
    await page.mouse.up();
    const panned = await viewportTransform(page);
    assert.ok(Math.abs(panned[0] - zoomed[0] - 60) < 1, "dragging moves the drawing horizontally");
    assert.ok(Math.abs(panned[1] - zoomed[1] - 40) < 1, "dragging moves the drawing vertically");

    await page.click("#sw-fit");
    assert.deepEqual(await viewportTransform(page), fitted);
  });

  it("clears the details when the background is clicked", async () => {
    await drawing.page.mouse.click(40, 120);
    assert.match(
      (await drawing.page.locator("#sw-panel-body").textContent()) ?? "",
      /Click a step/,
    );
  });

  it("requests nothing beyond its own file and logs no errors", () => {
    assert.deepEqual(drawing.externalRequests, []);
    assert.deepEqual(drawing.errors, []);
  });
});

describe("the page of a human-in-the-loop workflow, in Chromium", { skip }, () => {
  it("shows the external node between the request and the response", async () => {
    const path = drawAllPossibleFlows(ApprovalWorkflow, { filename: join(workDir, "hitl.html") });
    const drawing = await openDrawing(browser!, path);
    try {
      for (const node of getWorkflowGraph(ApprovalWorkflow).nodes) {
        const label = node.kind === "event" ? node.eventType : node.name;
        await assertNodeVisible(drawing, node.id, label);
      }
      await drawing.page.click('.sw-node[data-id="external"]');
      const text = (await drawing.page.locator("#sw-panel-body").textContent()) ?? "";
      assert.match(text, /ReceivesApprovalRequestEvent/);
      assert.match(text, /Sends backApprovalResponseEvent/);
      await saveScreenshot(drawing.page, "hitl-flows.png");
      assert.deepEqual(drawing.externalRequests, []);
      assert.deepEqual(drawing.errors, []);
    } finally {
      await drawing.close();
    }
  });
});

describe("the page of a run whose step retried and failed, in Chromium", { skip }, () => {
  it("shows each attempt and the failure's error on click", async () => {
    const wf = new FlakyWorkflow();
    wf.failures = 99;
    const handler = wf.run({ url: "https://example.test/a" });
    await Promise.resolve(handler).catch(() => undefined);
    const path = drawMostRecentExecution(handler, { filename: join(workDir, "run.html") });
    const drawing = await openDrawing(browser!, path);
    try {
      const trace = handler.trace();
      for (const event of trace.events) {
        await assertNodeVisible(drawing, `event:${event.id}`, event.eventType);
      }
      const failed = drawing.page.locator(".sw-node.sw-stepFailed");
      assert.equal(await failed.count(), 1);
      assert.equal(await drawing.page.locator('.sw-node[data-id="external"]').count(), 0);
      const ending = trace.events.find((ev) => ev.eventType === "WorkflowFailedEvent")!;
      await assertEdgeVisible(drawing, await failed.getAttribute("data-id"), `event:${ending.id}`);
      assert.equal(await drawing.page.locator(".sw-node.sw-stepRetrying").count(), 2);
      await saveScreenshot(drawing.page, "failed-run.png");
      await failed.click();
      const text = (await drawing.page.locator("#sw-panel-body").textContent()) ?? "";
      assert.match(text, /Outcomefailed/);
      assert.match(text, /Attempt3/);
      assert.match(text, /connection reset \(call 3\)/);
      await saveScreenshot(drawing.page, "failed-run-details.png");
      assert.deepEqual(drawing.externalRequests, []);
      assert.deepEqual(drawing.errors, []);
    } finally {
      await drawing.close();
    }
  });
});

describe("the page of a run recovered by @catchError, in Chromium", { skip }, () => {
  it("draws the StepFailedEvent from the failed attempt and says so on click", async () => {
    const handler = new RecoveringWorkflow().run({ amount: 5 });
    await handler;
    const path = drawMostRecentExecution(handler, { filename: join(workDir, "recovered.html") });
    const drawing = await openDrawing(browser!, path);
    try {
      const trace = handler.trace();
      for (const event of trace.events) {
        await assertNodeVisible(drawing, `event:${event.id}`, event.eventType);
      }
      assert.equal(await drawing.page.locator('.sw-node[data-id="external"]').count(), 0);
      const failedEvent = trace.events.find((ev) => ev.eventType === "StepFailedEvent")!;
      const failed = drawing.page.locator(".sw-node.sw-stepFailed");
      await assertEdgeVisible(
        drawing,
        await failed.getAttribute("data-id"),
        `event:${failedEvent.id}`,
      );
      await saveScreenshot(drawing.page, "recovered-run.png");
      await drawing.page.click(`.sw-node[data-id="event:${failedEvent.id}"]`);
      const text = (await drawing.page.locator("#sw-panel-body").textContent()) ?? "";
      assert.match(text, /Produced bythe engine, for charge#3 \(attempt 2\), which failed/);
      assert.match(text, /Consumed byrefund#4/);
      await saveScreenshot(drawing.page, "recovered-run-details.png");
      assert.deepEqual(drawing.errors, []);
    } finally {
      await drawing.close();
    }
  });
});

describe("the page of all possible flows with a catch handler, in Chromium", { skip }, () => {
  it("connects the step the handler covers to the handler's StepFailedEvent", async () => {
    const path = drawAllPossibleFlows(RecoveringWorkflow, {
      filename: join(workDir, "catch.html"),
    });
    const drawing = await openDrawing(browser!, path);
    try {
      for (const node of getWorkflowGraph(RecoveringWorkflow).nodes) {
        const label = node.kind === "event" ? node.eventType : node.name;
        await assertNodeVisible(drawing, node.id, label);
      }
      await assertEdgeVisible(drawing, "step:charge", "event:StepFailedEvent");
      const label = drawing.page.locator(".sw-edge-failure .sw-edge-label");
      assert.equal(await label.textContent(), "on failure");
      assert.ok(await label.isVisible());
      assert.equal(
        await drawing.page.locator(".sw-edge-failure").count(),
        1,
        "only charge is covered",
      );
      await saveScreenshot(drawing.page, "catch-flows.png");
      assert.deepEqual(drawing.errors, []);
    } finally {
      await drawing.close();
    }
  });
});

describe("the page of a run that fans out and in, in Chromium", { skip }, () => {
  it("shows the items left to right in the order they were sent, and the fan-in as one join", async () => {
    const handler = new FanOutWorkflow().run({ count: 4 });
    await handler;
    const path = drawMostRecentExecution(handler, { filename: join(workDir, "fan.html") });
    const drawing = await openDrawing(browser!, path);
    try {
      const trace = handler.trace();
      const items = trace.events.filter((ev) => ev.eventType === "ItemEvent");
      const xs: number[] = [];
      for (const item of items) {
        await assertNodeVisible(drawing, `event:${item.id}`, "ItemEvent");
        const box = await drawing.page
          .locator(`.sw-node[data-id="event:${item.id}"]`)
          .boundingBox();
        xs.push(box!.x);
      }
      assert.deepEqual(
        xs,
        [...xs].sort((a, b) => a - b),
        `items on screen, by id: ${xs}`,
      );
      const join = drawing.page.locator('.sw-node[data-id^="invocation-group:"]');
      assert.equal(await join.count(), 1, "one join node");
      const joinId = (await join.getAttribute("data-id"))!;
      await assertNodeVisible(drawing, joinId, "join ×4");
      for (const result of trace.events.filter((ev) => ev.eventType === "ResultEvent")) {
        await assertEdgeVisible(drawing, `event:${result.id}`, joinId);
      }
      await saveScreenshot(drawing.page, "fan-out-run.png");
      await join.click();
      const text = (await drawing.page.locator("#sw-panel-body").textContent()) ?? "";
      assert.match(text, /Invocations4/);
      assert.match(text, /Returned nothing3/);
      await saveScreenshot(drawing.page, "fan-out-run-details.png");
      assert.deepEqual(drawing.errors, []);
    } finally {
      await drawing.close();
    }
  });
});

describe("the page of a 12-round loop, in Chromium", { skip }, () => {
  it("is legible at Fit: every label is drawn at 12 px or more", async () => {
    const handler = new LoopWorkflow().run({ rounds: 12 });
    assert.equal(await handler, 12);
    const path = drawMostRecentExecution(handler, { filename: join(workDir, "loop.html") });
    const drawing = await openDrawing(browser!, path);
    try {
      await drawing.page.click("#sw-fit");
      const sizes = await labelFontSizes(drawing);
      assert.deepEqual(sizes.map((size) => size.text).sort(), [
        "RoundEvent ×11",
        "StartEvent",
        "StopEvent",
        "tick ×12",
      ]);
      for (const size of sizes) {
        assert.ok(size.px >= 12, `${size.text} is drawn at ${size.px.toFixed(1)} px`);
        assert.ok(size.height >= 12, `${size.text} is ${size.height.toFixed(1)} px high on screen`);
      }
      const tick = drawing.page.locator('.sw-node[data-id^="invocation-group:"]');
      await assertNodeVisible(drawing, (await tick.getAttribute("data-id"))!, "tick ×12");
      await saveScreenshot(drawing.page, "loop-run.png");
      await tick.click();
      const rows = await drawing.page.locator("#sw-panel-body dt").allTextContents();
      assert.equal(rows.filter((row) => /^tick#\d+$/.test(row)).length, 12);
      await saveScreenshot(drawing.page, "loop-run-details.png");
      assert.deepEqual(drawing.errors, []);
    } finally {
      await drawing.close();
    }
  });
});
