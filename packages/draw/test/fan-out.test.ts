import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Context, Event, StartEvent, StopEvent, step, Workflow } from "@stepwise/core";
import { drawMostRecentExecutionMermaid, renderExecutionHtml } from "@stepwise/draw";
import { z } from "zod";
import { FanOutWorkflow } from "./fixtures/workflows.js";
import { drawnEdges, nodeIds, nodeLabel, nodeSublabel, pageData, placedBoxes } from "./html.js";

async function fanOutRun(count: number) {
  const handler = new FanOutWorkflow().run({ count });
  assert.deepEqual(await handler, [...Array(count).keys()]);
  return { handler };
}

describe("the drawing of a run that fans out", () => {
  it("places the items left to right in the order they were sent", async () => {
    const { handler } = await fanOutRun(5);
    const trace = handler.trace();
    const html = renderExecutionHtml(handler);
    const x = new Map(placedBoxes(html).map((box) => [box.id, box.x]));
    const items = trace.events.filter((ev) => ev.eventType === "ItemEvent");
    assert.equal(items.length, 5);
    const itemX = items.map((ev) => x.get(`event:${ev.id}`)!);
    assert.deepEqual(
      itemX,
      [...itemX].sort((a, b) => a - b),
      `items by id: ${itemX}`,
    );
    const work = trace.invocations.flatMap((invocation, at) =>
      invocation.stepName === "work" ? [x.get(`invocation:${at}`)!] : [],
    );
    assert.deepEqual(
      work,
      [...work].sort((a, b) => a - b),
      `workers by start: ${work}`,
    );
  });
});

describe("the drawing of a run that fans in with collectEvents", () => {
  it("draws the collecting step's invocations as one join, with an edge from every collected event", async () => {
    const { handler } = await fanOutRun(4);
    const trace = handler.trace();
    const html = renderExecutionHtml(handler);
    const joins = trace.invocations.flatMap((invocation, at) =>
      invocation.stepName === "join" ? [at] : [],
    );
    assert.equal(joins.length, 4, "one invocation per arriving result");
    const joinId = `invocation-group:${joins[0]}`;
    const drawn = nodeIds(html);
    assert.ok(drawn.includes(joinId));
    for (const at of joins) assert.ok(!drawn.includes(`invocation:${at}`), `join #${at} is folded`);
    assert.equal(nodeLabel(html, joinId), "join ×4");
    assert.match(nodeSublabel(html, joinId)!, /^3 returned nothing · /);

    const results = trace.events.filter((ev) => ev.eventType === "ResultEvent");
    const into = drawnEdges(html)
      .filter((edge) => edge.to === joinId)
      .map((edge) => edge.from);
    assert.deepEqual(
      into,
      results.map((ev) => `event:${ev.id}`),
    );
    const stop = trace.events.find((ev) => ev.eventType === "StopEvent")!;
    assert.deepEqual(
      drawnEdges(html)
        .filter((edge) => edge.from === joinId)
        .map((edge) => edge.to),
      [`event:${stop.id}`],
    );
  });

  it("lists every invocation of the join in its details", async () => {
    const { handler } = await fanOutRun(3);
    const html = renderExecutionHtml(handler);
    const id = nodeIds(html).find((node) => node.startsWith("invocation-group:"))!;
    const details = pageData(html).details[id]!;
    assert.equal(details.kind, "step invocations · a join");
    const rows = Object.fromEntries(details.rows);
    assert.equal(rows.Invocations, "3");
    assert.equal(rows["Returned nothing"], "2");
    const members = details.rows.filter(([label]) => /^join#\d+$/.test(label));
    assert.equal(members.length, 3);
    assert.match(members[0]![1], /^completed · .* · ResultEvent #\d+ → nothing$/);
    assert.match(members[2]![1], /→ StopEvent #\d+$/);
  });

  it("draws a collection that never filled as one node with every event it received", async () => {
    class PartEvent extends Event.define({ part: z.number() }) {}
    class NeverFull extends Workflow {
      @step({ accepts: StartEvent, emits: PartEvent })
      split(_: StartEvent, ctx: Context) {
        for (let part = 0; part < 3; part++) ctx.sendEvent(new PartEvent({ part }));
        return null;
      }

      @step({ accepts: PartEvent, emits: StopEvent })
      gather(ev: PartEvent, ctx: Context) {
        const all = ctx.collectEvents(ev, [PartEvent, PartEvent, PartEvent, PartEvent]);
        return all ? new StopEvent({}) : null;
      }
    }
    const handler = new NeverFull({ timeout: 0.05 }).run();
    await assert.rejects(Promise.resolve(handler));
    const html = renderExecutionHtml(handler);
    const gather = nodeIds(html).filter((id) => id.startsWith("invocation"));
    assert.equal(gather.length, 2, `split and one gather node: ${gather}`);
    const gatherId = gather.find((id) => id.startsWith("invocation-group:"))!;
    assert.equal(nodeLabel(html, gatherId), "gather ×3");
    assert.equal(drawnEdges(html).filter((edge) => edge.to === gatherId).length, 3);
  });

  it("names the join node in Mermaid too", async () => {
    const { handler } = await fanOutRun(3);
    const text = drawMostRecentExecutionMermaid(handler);
    assert.match(text, /invocation_group_\d+\["join ×3<br\/>2 returned nothing · /);
  });
});
