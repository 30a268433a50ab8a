import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type FlowGraph, renderFlowsHtml } from "@stepwise/draw";
import { placedBoxes } from "./html.js";

/** A fan-out / fan-in graph given as data, as a server would send it. */
function fanGraph(width: number): FlowGraph {
  const nodes: FlowGraph["nodes"][number][] = [
    { kind: "event", id: "event:StartEvent", eventType: "StartEvent", role: "start", schema: {} },
    { kind: "event", id: "event:StopEvent", eventType: "StopEvent", role: "stop", schema: {} },
    {
      kind: "step",
      id: "step:split",
      name: "split",
      accepts: ["StartEvent"],
      emits: [],
      numWorkers: 1,
    },
    {
      kind: "step",
      id: "step:join",
      name: "join",
      accepts: [],
      emits: ["StopEvent"],
      numWorkers: 1,
    },
  ];
  const edges = [
    { from: "event:StartEvent", to: "step:split" },
    { from: "step:join", to: "event:StopEvent" },
  ];
  for (let i = 0; i < width; i++) {
    nodes.push({
      kind: "event",
      id: `event:Part${i}Event`,
      eventType: `Part${i}Event`,
      role: "event",
      schema: {},
    });
    edges.push({ from: "step:split", to: `event:Part${i}Event` });
    edges.push({ from: `event:Part${i}Event`, to: "step:join" });
  }
  return { name: "FanWorkflow", nodes, edges };
}

describe("layout", () => {
  it("places no two nodes on top of each other", () => {
    const boxes = placedBoxes(renderFlowsHtml(fanGraph(6)));
    assert.equal(boxes.length, 10);
    for (const a of boxes) {
      for (const b of boxes) {
        if (a === b) continue;
        const overlaps =
          a.x < b.x + b.width &&
          b.x < a.x + a.width &&
          a.y < b.y + b.height &&
          b.y < a.y + a.height;
        assert.ok(!overlaps, `${a.id} overlaps ${b.id}`);
      }
    }
  });

  it("puts events before the steps that accept them, top to bottom", () => {
    const boxes = new Map(placedBoxes(renderFlowsHtml(fanGraph(3))).map((box) => [box.id, box]));
    const y = (id: string) => boxes.get(id)!.y;
    assert.ok(y("event:StartEvent") < y("step:split"));
    assert.ok(y("step:split") < y("event:Part0Event"));
    assert.ok(y("event:Part0Event") < y("step:join"));
    assert.ok(y("step:join") < y("event:StopEvent"));
  });

  it("draws one path per edge", () => {
    const html = renderFlowsHtml(fanGraph(4));
    assert.equal(html.match(/<g class="sw-edge" data-from=/g)?.length, 2 + 2 * 4);
  });

  it("sizes a node to its label", () => {
    const boxes = new Map(placedBoxes(renderFlowsHtml(fanGraph(1))).map((box) => [box.id, box]));
    assert.ok(boxes.get("event:Part0Event")!.width > boxes.get("step:join")!.width);
  });
});
