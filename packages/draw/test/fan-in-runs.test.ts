import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Context, StartEvent, StopEvent, Workflow } from "@stepwise/core";
import { drawMostRecentExecutionMermaid, renderExecutionHtml } from "@stepwise/draw";
import {
  BodyEvent,
  DoneEvent,
  HeaderEvent,
  MapReduceWorkflow,
  PageWorkflow,
  TaskEvent,
} from "./fixtures/workflows.js";
import {
  drawnEdges,
  nodeClasses,
  nodeIds,
  nodeLabel,
  nodeSublabel,
  pageData,
  placedBoxes,
} from "./html.js";

/** A finished run of {@link MapReduceWorkflow} and its trace. */
async function mapReduceRun(count: number, skip = -1) {
  const handler = new MapReduceWorkflow().run({ count, skip });
  const expected = [...Array(count).keys()].filter((n) => n !== skip);
  assert.deepEqual(await handler, expected);
  const trace = handler.trace();
  const at = trace.invocations.findIndex((invocation) => invocation.stepName === "gather");
  const gather = trace.invocations[at]!;
  return { handler, trace, gather, gatherId: `invocation:${at}` };
}

function detailRows(html: string, id: string): Record<string, string> {
  return Object.fromEntries(pageData(html).details[id]!.rows);
}

describe("the drawing of a run with a collect step", () => {
  it("draws the collect invocation as one join node with an edge from every event it collected", async () => {
    const { handler, gather, gatherId } = await mapReduceRun(5, 2);
    const html = renderExecutionHtml(handler);
    assert.equal(gather.inputEventIds?.length, 4);
    assert.ok(nodeClasses(html, gatherId).includes("sw-join"));
    assert.equal(nodeLabel(html, gatherId), gather.id);
    const into = drawnEdges(html).filter((edge) => edge.to === gatherId);
    assert.deepEqual(
      into.map((edge) => edge.from),
      gather.inputEventIds!.map((id) => `event:${id}`),
    );
    assert.equal(nodeIds(html).filter((id) => id.startsWith("invocation:")).length, 7);
  });

  it("places the branches' results left to right in fan-out order, though the last finished first", async () => {
    const { handler, trace, gather } = await mapReduceRun(5);
    const collected = gather.inputEventIds!;
    assert.deepEqual(
      [...collected].sort((a, b) => b - a),
      collected,
      "the results arrived last first (ids fall in fan-out order)",
    );
    const x = new Map(placedBoxes(renderExecutionHtml(handler)).map((box) => [box.id, box.x]));
    const resultsX = collected.map((id) => x.get(`event:${id}`)!);
    assert.deepEqual(
      resultsX,
      [...resultsX].sort((a, b) => a - b),
      `results in fan-out order: ${resultsX}`,
    );
    const tasksX = trace.events
      .filter((event) => event.eventType === "TaskEvent")
      .map((event) => x.get(`event:${event.id}`)!);
    assert.deepEqual(
      tasksX,
      [...tasksX].sort((a, b) => a - b),
      `items in the order sent: ${tasksX}`,
    );
  });

  it("keeps a branch that returned nothing a node of its own, not folded into a join", async () => {
    const { handler, trace } = await mapReduceRun(4, 1);
    const html = renderExecutionHtml(handler);
    assert.deepEqual(
      nodeIds(html).filter((id) => id.startsWith("invocation-group:")),
      [],
    );
    const dropped = trace.invocations.findIndex(
      (invocation) => invocation.stepName === "work" && invocation.emitted.length === 0,
    );
    assert.match(nodeSublabel(html, `invocation:${dropped}`)!, /^completed · /);
  });

  it("says what it collected, and lists the events in order in its details", async () => {
    const { handler, gather, gatherId } = await mapReduceRun(3);
    const withGraph = renderExecutionHtml(handler, { workflow: MapReduceWorkflow });
    assert.match(nodeSublabel(withGraph, gatherId)!, /^collected 3 · completed · /);
    assert.match(nodeSublabel(renderExecutionHtml(handler), gatherId)!, /^gathered 3 · completed/);
    const details = pageData(withGraph).details[gatherId]!;
    assert.equal(details.kind, "step invocation · a collect · completed");
    const rows = Object.fromEntries(details.rows);
    assert.equal(
      rows.Inputs,
      `${gather.inputEventIds!.map((id) => `DoneEvent #${id}`).join(", ")} (an array, in fan-out order)`,
    );
    assert.equal(rows["Last to arrive"], `DoneEvent #${gather.inputEventId}`);
  });

  it("names the collect invocation in the details of every event it collected", async () => {
    const { handler, gather } = await mapReduceRun(3);
    const html = renderExecutionHtml(handler);
    for (const id of gather.inputEventIds!) {
      assert.equal(detailRows(html, `event:${id}`)["Consumed by"], gather.id);
    }
  });

  it("draws the fan-out invocation as a fork when the workflow is given", async () => {
    const { handler } = await mapReduceRun(3);
    const html = renderExecutionHtml(handler, { workflow: MapReduceWorkflow });
    assert.ok(nodeClasses(html, "invocation:0").includes("sw-fork"));
    assert.match(nodeSublabel(html, "invocation:0")!, /^fan-out ×3 · completed · /);
    assert.ok(!nodeClasses(renderExecutionHtml(handler), "invocation:0").includes("sw-fork"));
  });

  it("draws an empty collection's collect from the event that was fanned out", async () => {
    const { handler, trace, gather, gatherId } = await mapReduceRun(0);
    assert.deepEqual(gather.inputEventIds, []);
    const html = renderExecutionHtml(handler);
    const into = drawnEdges(html).filter((edge) => edge.to === gatherId);
    assert.deepEqual(
      into.map((edge) => [edge.from, edge.label]),
      [[`event:${trace.events[0]!.id}`, "empty collection"]],
    );
    assert.match(detailRows(html, gatherId).Inputs!, /^none: the collection was empty/);
  });

  it("draws edges from only the events a collect with take received", async () => {
    const wf = new Workflow({ name: "FirstTwo" });
    wf.addStep("split", { accepts: StartEvent, emits: TaskEvent, fanOut: true }, () =>
      [0, 1, 2, 3].map((n) => new TaskEvent({ n, count: 4, drop: false })),
    );
    wf.addStep("work", { accepts: TaskEvent, emits: DoneEvent }, (ev: TaskEvent) => {
      return new DoneEvent({ n: ev.n });
    });
    wf.addStep(
      "gather",
      { accepts: DoneEvent, emits: StopEvent, collect: { take: 2 } },
      (done: DoneEvent[]) => new StopEvent({ result: done.length }),
    );
    const handler = wf.run();
    assert.equal(await handler, 2);
    const trace = handler.trace();
    const at = trace.invocations.findIndex((invocation) => invocation.stepName === "gather");
    const html = renderExecutionHtml(handler, { workflow: wf });
    const into = drawnEdges(html).filter((edge) => edge.to === `invocation:${at}`);
    assert.deepEqual(
      into.map((edge) => edge.from),
      trace.invocations[at]!.inputEventIds!.map((id) => `event:${id}`),
    );
    assert.equal(into.length, 2);
  });

  it("writes the join node and an edge from every collected event in Mermaid", async () => {
    const { handler, gather, gatherId } = await mapReduceRun(3);
    const lines = drawMostRecentExecutionMermaid(handler, { workflow: MapReduceWorkflow }).split(
      "\n",
    );
    const id = gatherId.replace(":", "_");
    assert.ok(
      lines.some((line) =>
        line.startsWith(`    ${id}[\\"gather#35;${gather.id.split("#")[1]}<br/>collected 3 · `),
      ),
      lines.join("\n"),
    );
    for (const input of gather.inputEventIds!) {
      assert.ok(lines.includes(`    event_${input} --> ${id}`), `edge from event ${input}`);
    }
    assert.ok(lines.some((line) => line.startsWith("    invocation_0[/")));
  });
});

describe("the drawing of a run with a join step", () => {
  async function pageRun() {
    const handler = new PageWorkflow().run({ topic: "Joins" });
    assert.equal(await handler, "Joins: all about Joins");
    const trace = handler.trace();
    const at = trace.invocations.findIndex((invocation) => invocation.stepName === "assemble");
    return { handler, trace, assemble: trace.invocations[at]!, assembleId: `invocation:${at}` };
  }

  it("draws the join invocation as one join node with an edge from one event of each class", async () => {
    const { handler, trace, assemble, assembleId } = await pageRun();
    const html = renderExecutionHtml(handler, { workflow: PageWorkflow });
    assert.ok(nodeClasses(html, assembleId).includes("sw-join"));
    assert.match(nodeSublabel(html, assembleId)!, /^joined 2 · completed · /);
    const into = drawnEdges(html).filter((edge) => edge.to === assembleId);
    const type = (id: string) =>
      trace.events.find((event) => `event:${event.id}` === id)?.eventType;
    assert.deepEqual(
      into.map((edge) => type(edge.from)),
      [HeaderEvent.eventType, BodyEvent.eventType],
    );
    assert.equal(
      detailRows(html, assembleId).Inputs,
      `${assemble.inputEventIds!.map((id) => `${type(`event:${id}`)} #${id}`).join(", ")} (a tuple, in \`accepts\` order)`,
    );
  });

  it("draws each set a join ran with as its own node, never folded together", async () => {
    const wf = new Workflow({ name: "TwoPages", timeout: 5 });
    wf.addStep(
      "start",
      { accepts: StartEvent, emits: [HeaderEvent, BodyEvent] },
      (_ev: StartEvent, ctx: Context) => {
        for (const n of [1, 2]) {
          ctx.sendEvent(new HeaderEvent({ title: `h${n}` }));
          ctx.sendEvent(new BodyEvent({ text: `b${n}` }));
        }
        return null;
      },
    );
    let fired = 0;
    wf.addStep(
      "assemble",
      { accepts: [HeaderEvent, BodyEvent], emits: StopEvent, join: true },
      () => (++fired === 2 ? new StopEvent({ result: fired }) : null),
    );
    const handler = wf.run();
    assert.equal(await handler, 2);
    const html = renderExecutionHtml(handler);
    const trace = handler.trace();
    const joins = trace.invocations.flatMap((invocation, at) =>
      invocation.stepName === "assemble" ? [`invocation:${at}`] : [],
    );
    assert.equal(joins.length, 2);
    for (const id of joins) {
      assert.ok(nodeIds(html).includes(id), `${id} is drawn`);
      assert.equal(drawnEdges(html).filter((edge) => edge.to === id).length, 2);
    }
    assert.deepEqual(
      nodeIds(html).filter((id) => id.startsWith("invocation-group:")),
      [],
    );
  });
});
