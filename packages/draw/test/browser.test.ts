import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { getWorkflowGraph } from "@stepwise/core";
import { drawAllPossibleFlows, drawMostRecentExecution } from "@stepwise/draw";
import type { Browser } from "playwright-core";
import {
  browserSkipReason,
  launchChromium,
  type OpenDrawing,
  openDrawing,
  saveScreenshot,
  viewportTransform,
} from "./browser.js";
import { ApprovalWorkflow, FlakyWorkflow, RAGWorkflow } from "./fixtures/workflows.js";

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

/** Asserts that the node is drawn with this label, visible and inside the drawing area. */
async function assertNodeVisible(drawing: OpenDrawing, id: string, label: string) {
  const node = drawing.page.locator(`.sw-node[data-id="${id}"]`);
  const text = node.locator(".sw-label");
  assert.equal(await text.textContent(), label, `label of ${id}`);
  assert.ok(await text.isVisible(), `${label} is visible`);
  const box = await node.boundingBox();
  const stage = await drawing.page.locator("#sw-stage").boundingBox();
  assert.ok(box && stage, `${label} has a box`);
  assert.ok(
    box.x >= stage.x &&
      box.y >= stage.y &&
      box.x + box.width <= stage.x + stage.width &&
      box.y + box.height <= stage.y + stage.height,
    `${label} lies inside the drawing area after fitting`,
  );
  assert.ok(box.height >= 20, `${label} is drawn large enough to read (height ${box.height}px)`);
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
