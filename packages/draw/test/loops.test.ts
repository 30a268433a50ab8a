import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Event,
  retryPolicy,
  StartEvent,
  StopEvent,
  step,
  stopAfterAttempt,
  Workflow,
  waitNone,
} from "@stepwise/core";
import { renderExecutionHtml } from "@stepwise/draw";
import { z } from "zod";
import { LoopWorkflow } from "./fixtures/workflows.js";
import { drawnEdges, nodeIds, nodeLabel, pageData } from "./html.js";

async function loopRun(rounds: number) {
  const handler = new LoopWorkflow().run({ rounds });
  assert.equal(await handler, rounds);
  return { handler };
}

class DraftEvent extends Event.define({ round: z.number().int() }) {}
class ReviseEvent extends Event.define({ round: z.number().int() }) {}

/**
 * `draft` and `review` go round until round `rounds`; the `failAt`-th call of `draft` fails once
 * and is retried.
 */
class ReviewLoop extends Workflow {
  calls = 0;
  constructor(
    readonly rounds: number,
    readonly failAt = 0,
  ) {
    super();
  }

  @step({
    accepts: [StartEvent, ReviseEvent],
    emits: DraftEvent,
    retry: retryPolicy({ wait: waitNone(), stop: stopAfterAttempt(2) }),
  })
  async draft(ev: StartEvent | ReviseEvent) {
    this.calls += 1;
    if (this.calls === this.failAt) throw new Error("flaky");
    return new DraftEvent({ round: ev instanceof ReviseEvent ? ev.round + 1 : 1 });
  }

  @step({ accepts: DraftEvent, emits: [ReviseEvent, StopEvent] })
  async review(ev: DraftEvent) {
    if (ev.round >= this.rounds) return new StopEvent({ result: ev.round });
    return new ReviseEvent({ round: ev.round });
  }
}

describe("the drawing of a run that loops", () => {
  it("folds a 12-round loop of one step into one node for the step and one for its event", async () => {
    const { handler } = await loopRun(12);
    const trace = handler.trace();
    assert.equal(trace.invocations.length, 12);
    const html = renderExecutionHtml(handler);
    const ids = nodeIds(html);
    assert.equal(ids.length, 4, `start, tick, round, stop: ${ids}`);
    const tick = ids.find((id) => id.startsWith("invocation-group:"))!;
    const rounds = ids.find((id) => id.startsWith("event-group:"))!;
    assert.equal(nodeLabel(html, tick), "tick ×12");
    assert.equal(nodeLabel(html, rounds), "RoundEvent ×11");
    const edges = drawnEdges(html).map((edge) => `${edge.from} > ${edge.to}`);
    assert.ok(edges.includes(`${tick} > ${rounds}`));
    assert.ok(edges.includes(`${rounds} > ${tick}`), "the edge back is drawn once");
    const details = pageData(html).details[tick]!;
    assert.equal(details.kind, "step invocations · a loop");
    assert.equal(details.rows.filter(([label]) => /^tick#\d+$/.test(label)).length, 12);
  });

  it("draws a loop that went round only twice unrolled", async () => {
    const { handler } = await loopRun(2);
    const ids = nodeIds(renderExecutionHtml(handler));
    assert.ok(!ids.some((id) => id.includes("group")), `${ids}`);
    assert.equal(ids.length, 5, "start, tick, round, tick, stop");
  });

  it("folds a loop of two steps into one node per step and per event between them", async () => {
    const wf = new ReviewLoop(4);
    const handler = wf.run();
    assert.equal(await handler, 4);
    const html = renderExecutionHtml(handler);
    const labels = nodeIds(html).map((id) => nodeLabel(html, id));
    assert.deepEqual(labels.sort(), [
      "DraftEvent ×4",
      "ReviseEvent ×3",
      "StartEvent",
      "StopEvent",
      "draft ×4",
      "review ×4",
    ]);
  });

  it("keeps a round with a retry out of the fold, drawn attempt by attempt", async () => {
    const wf = new ReviewLoop(8, 4);
    const handler = wf.run();
    assert.equal(await handler, 8);
    const html = renderExecutionHtml(handler);
    assert.equal(html.match(/class="sw-node sw-stepRetrying"/g)?.length, 1);
    assert.equal(html.match(/class="sw-edge sw-edge-retry"/g)?.length, 1);
    const labels = nodeIds(html).map((id) => nodeLabel(html, id)!);
    assert.ok(labels.includes("draft#7"), `${labels}`);
    assert.ok(labels.includes("draft#8 (attempt 2)"), `${labels}`);
    assert.ok(
      labels.filter((label) => / ×\d+$/.test(label)).length >= 4,
      `the rounds before and after are folded: ${labels}`,
    );
  });
});
