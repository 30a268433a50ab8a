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
} from "./browser.js";
import { MapReduceWorkflow, PageWorkflow, ShelterWorkflow } from "./fixtures/workflows.js";

const skip = browserSkipReason();
const workDir = mkdtempSync(join(tmpdir(), "stepwise-browser-fan-in-"));
let browser: Browser | undefined;

before(async () => {
  if (!skip) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  rmSync(workDir, { recursive: true, force: true });
});

/** Draws a workflow's flows, opens the page, runs `check`, then closes it and checks the console. */
async function withFlows(
  workflow: Parameters<typeof drawAllPossibleFlows>[0],
  name: string,
  check: (drawing: OpenDrawing) => Promise<void>,
) {
  const path = drawAllPossibleFlows(workflow, { filename: join(workDir, `${name}.html`) });
  const drawing = await openDrawing(browser!, path);
  try {
    for (const node of getWorkflowGraph(workflow as never).nodes) {
      await assertNodeVisible(drawing, node.id, node.kind === "event" ? node.eventType : node.name);
    }
    await check(drawing);
    assert.deepEqual(drawing.externalRequests, []);
    assert.deepEqual(drawing.errors, []);
  } finally {
    await drawing.close();
  }
}

/** The text of the details panel after clicking a node. */
async function detailsOf(drawing: OpenDrawing, id: string): Promise<string> {
  await drawing.page.click(`.sw-node[data-id="${id}"]`);
  return (await drawing.page.locator("#sw-panel-body").textContent()) ?? "";
}

/** The on-screen box of a node, or of an edge's label. */
async function box(drawing: OpenDrawing, selector: string) {
  const found = await drawing.page.locator(selector).boundingBox();
  assert.ok(found, `${selector} is drawn`);
  return found;
}

describe("the page of all possible flows with a fan-out and a fan-in, in Chromium", {
  skip,
}, () => {
  it("draws the fan-out step as a fork, the collect step as a join, and ×n on both double edges", async () => {
    await withFlows(MapReduceWorkflow, "map-reduce", async (drawing) => {
      const { page } = drawing;
      for (const [id, sublabel] of [
        ["step:split", "fan-out"],
        ["step:gather", "collect all"],
      ] as const) {
        const text = page.locator(`.sw-node[data-id="${id}"] .sw-sublabel`);
        assert.equal(await text.textContent(), sublabel);
        assert.ok(await text.isVisible(), `${sublabel} is visible`);
      }
      // The bar: along the bottom of the fork, along the top of the join.
      const split = await box(drawing, '.sw-node[data-id="step:split"]');
      const splitBar = await box(drawing, '.sw-node[data-id="step:split"] .sw-bar');
      assert.ok(splitBar.y > split.y + split.height / 2, "the fork's bar is at its bottom");
      const gather = await box(drawing, '.sw-node[data-id="step:gather"]');
      const gatherBar = await box(drawing, '.sw-node[data-id="step:gather"] .sw-bar');
      assert.ok(gatherBar.y < gather.y + gather.height / 2, "the join's bar is at its top");

      await assertEdgeVisible(drawing, "step:split", "event:TaskEvent");
      await assertEdgeVisible(drawing, "event:DoneEvent", "step:gather");
      const many = page.locator(".sw-edge-many");
      assert.equal(await many.count(), 2);
      for (const edge of await many.all()) {
        const line = await edge.locator(".sw-edge-line").boundingBox();
        assert.ok(line && line.width >= 5, `a double line is drawn wide (${line?.width}px)`);
        const label = edge.locator(".sw-edge-label");
        assert.equal(await label.textContent(), "×n");
        assert.ok(await label.isVisible());
        const at = await label.boundingBox();
        assert.ok(
          at && line && at.x + at.width / 2 > line.x + line.width / 2 + 6,
          "×n sits beside the line, not on it",
        );
      }
      await saveScreenshot(page, "fan-in-flows.png");

      const splitText = await detailsOf(drawing, "step:split");
      assert.match(splitText, /Fan-outmay return an array of TaskEvent/);
      const gatherText = await detailsOf(drawing, "step:gather");
      assert.match(gatherText, /Fan-incollect all: runs once per fan-out collection/);
      await saveScreenshot(page, "fan-in-flows-details.png");
    });
  });

  it("labels a join step with what it joins", async () => {
    await withFlows(PageWorkflow, "page", async (drawing) => {
      const sublabel = drawing.page.locator('.sw-node[data-id="step:assemble"] .sw-sublabel');
      assert.equal(await sublabel.textContent(), "join HeaderEvent + BodyEvent");
      assert.ok(await sublabel.isVisible());
      await assertEdgeVisible(drawing, "event:HeaderEvent", "step:assemble");
      await assertEdgeVisible(drawing, "event:BodyEvent", "step:assemble");
      assert.equal(await drawing.page.locator(".sw-join").count(), 1);
      await saveScreenshot(drawing.page, "join-flows.png");
      const text = await detailsOf(drawing, "step:assemble");
      assert.match(text, /Joinruns once it holds one HeaderEvent and one BodyEvent/);
      await saveScreenshot(drawing.page, "join-flows-details.png");
    });
  });

  it("draws the subclasses a step takes with dotted, labelled edges", async () => {
    await withFlows(ShelterWorkflow, "shelter", async (drawing) => {
      for (const from of ["event:DogEvent", "event:CatEvent"]) {
        await assertEdgeVisible(drawing, from, "step:welcome");
        const edge = drawing.page.locator(
          `.sw-edge-subclass[data-from="${from}"][data-to="step:welcome"]`,
        );
        assert.equal(await edge.locator(".sw-edge-label").textContent(), "subclass");
        assert.ok(await edge.locator(".sw-edge-label").isVisible());
      }
      await assertEdgeVisible(drawing, "event:AnimalEvent", "step:welcome");
      assert.equal(
        await drawing.page.locator('.sw-edge[data-from="event:AdoptedEvent"]').count(),
        0,
        "the stop event's subclass goes nowhere",
      );
      await saveScreenshot(drawing.page, "subclass-flows.png");
      const text = await detailsOf(drawing, "step:welcome");
      assert.match(text, /Subclassesalso receives subclasses of AnimalEvent: DogEvent, CatEvent/);
    });
  });
});

describe("the page of a run with a collect step, in Chromium", { skip }, () => {
  it("draws the collect as one join with an edge from each result, the results in fan-out order", async () => {
    const handler = new MapReduceWorkflow().run({ count: 5, skip: 2 });
    assert.deepEqual(await handler, [0, 1, 3, 4]);
    const path = drawMostRecentExecution(handler, {
      filename: join(workDir, "map-reduce-run.html"),
      workflow: MapReduceWorkflow,
    });
    const drawing = await openDrawing(browser!, path);
    try {
      const trace = handler.trace();
      const at = trace.invocations.findIndex((invocation) => invocation.stepName === "gather");
      const gather = trace.invocations[at]!;
      const gatherId = `invocation:${at}`;
      await assertNodeVisible(drawing, gatherId, gather.id);
      assert.equal(await drawing.page.locator(".sw-node.sw-join").count(), 1, "one join node");
      const xs: number[] = [];
      for (const input of gather.inputEventIds!) {
        await assertNodeVisible(drawing, `event:${input}`, "DoneEvent");
        await assertEdgeVisible(drawing, `event:${input}`, gatherId);
        xs.push((await box(drawing, `.sw-node[data-id="event:${input}"]`)).x);
      }
      assert.deepEqual(
        xs,
        [...xs].sort((a, b) => a - b),
        `results on screen in fan-out order: ${xs}`,
      );
      const sublabel = drawing.page.locator(`.sw-node[data-id="${gatherId}"] .sw-sublabel`);
      assert.match((await sublabel.textContent()) ?? "", /^collected 4 · completed/);
      assert.ok(await drawing.page.locator('.sw-node[data-id="invocation:0"].sw-fork').isVisible());
      await saveScreenshot(drawing.page, "collect-run.png");
      const text = await detailsOf(drawing, gatherId);
      assert.match(
        text,
        /InputsDoneEvent #\d+, DoneEvent #\d+, DoneEvent #\d+, DoneEvent #\d+ \(an array, in fan-out order\)/,
      );
      await saveScreenshot(drawing.page, "collect-run-details.png");
      assert.deepEqual(drawing.errors, []);
    } finally {
      await drawing.close();
    }
  });
});

describe("the page of a run with a join step, in Chromium", { skip }, () => {
  it("draws the join as one node with an edge from each event it joined", async () => {
    const handler = new PageWorkflow().run({ topic: "Joins" });
    await handler;
    const path = drawMostRecentExecution(handler, {
      filename: join(workDir, "page-run.html"),
      workflow: PageWorkflow,
    });
    const drawing = await openDrawing(browser!, path);
    try {
      const trace = handler.trace();
      const at = trace.invocations.findIndex((invocation) => invocation.stepName === "assemble");
      const assemble = trace.invocations[at]!;
      const id = `invocation:${at}`;
      await assertNodeVisible(drawing, id, assemble.id);
      for (const input of assemble.inputEventIds!) {
        await assertEdgeVisible(drawing, `event:${input}`, id);
      }
      const sublabel = drawing.page.locator(`.sw-node[data-id="${id}"] .sw-sublabel`);
      assert.match((await sublabel.textContent()) ?? "", /^joined 2 · completed/);
      await saveScreenshot(drawing.page, "join-run.png");
      const text = await detailsOf(drawing, id);
      assert.match(text, /InputsHeaderEvent #\d+, BodyEvent #\d+ \(a tuple, in `accepts` order\)/);
      assert.deepEqual(drawing.errors, []);
    } finally {
      await drawing.close();
    }
  });
});
