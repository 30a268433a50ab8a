import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HumanResponseEvent, StartEvent, StopEvent, step, Workflow } from "@stepwise/core";
import { createServer } from "@stepwise/server";
import { z } from "zod";
import { AskEvent } from "./fixtures/workflows.js";
import { call, fixtureApp, openStream, StreamReader, startRun, waitForEnd } from "./helpers.js";

/** A hitl run waiting for its answer. */
async function waitingHitl() {
  const app = fixtureApp();
  const id = await startRun(app, "hitl");
  const reader = new StreamReader(await openStream(app, id, "after_sequence=-1"));
  await reader.until("AskEvent");
  return { app, id, reader };
}

describe("POST /events/{id}", () => {
  const bodies: [string, unknown][] = [
    [
      "an envelope",
      { event: { value: { response: "Ada" }, type: "AnswerEvent", qualified_name: null } },
    ],
    [
      "the debugger's JSON string of `{ type, data }`",
      { event: JSON.stringify({ type: "AnswerEvent", data: { response: "Ada" } }) },
    ],
    [
      "fields under `_data`",
      { event: { type: "AnswerEvent", value: { _data: { response: "Ada" } } } },
    ],
    [
      "a qualified name",
      { event: { qualified_name: "__main__.AnswerEvent", value: { response: "Ada" } } },
    ],
  ];
  for (const [what, body] of bodies) {
    it(`sends ${what} into the run, which ends with the answer`, async () => {
      const { app, id, reader } = await waitingHitl();
      const reply = await call(app, "POST", `/events/${id}`, body);
      assert.equal(reply.status, 200, reply.text);
      assert.deepEqual(reply.json, { status: "sent" });
      const frames = await reader.rest();
      assert.equal(frames.at(-1)?.data.value.result, "Hello, Ada!");
    });
  }

  it("sends to one step with `step`", async () => {
    class PingEvent extends HumanResponseEvent.define({ n: z.number() }) {}
    class Two extends Workflow {
      @step({ accepts: StartEvent, emits: AskEvent })
      ask() {
        return new AskEvent({ prompt: "left or right?" });
      }

      @step({ accepts: PingEvent, emits: StopEvent })
      left(ev: PingEvent) {
        return new StopEvent({ result: `left ${ev.n}` });
      }

      @step({ accepts: PingEvent, emits: StopEvent })
      right(ev: PingEvent) {
        return new StopEvent({ result: `right ${ev.n}` });
      }
    }
    const app = createServer({ workflows: { two: new Two({ timeout: null }) } });
    const id = await startRun(app, "two");
    const reply = await call(app, "POST", `/events/${id}`, {
      event: { type: "PingEvent", value: { n: 1 } },
      step: "right",
    });
    assert.equal(reply.status, 200, reply.text);
    const ended = await waitForEnd(app, id);
    assert.equal(ended.json.result.value.result, "right 1");
  });

  it("answers 400 `Event data is required` without an event", async () => {
    const { app, id, reader } = await waitingHitl();
    for (const body of [{}, { event: null }, { event: {} }]) {
      const reply = await call(app, "POST", `/events/${id}`, body);
      assert.equal(reply.status, 400);
      assert.deepEqual(reply.json, { detail: "Event data is required" });
    }
    await call(app, "POST", `/handlers/${id}/cancel`);
    await reader.rest();
  });

  it("answers 400 for a type the workflow does not know, listing the ones it does", async () => {
    const { app, id, reader } = await waitingHitl();
    const reply = await call(app, "POST", `/events/${id}`, {
      event: { type: "HumanResponseEvent", value: { _data: { response: "Ada" } } },
    });
    assert.equal(reply.status, 400);
    assert.deepEqual(reply.json, {
      detail:
        "Invalid event type: HumanResponseEvent. Expected one of StartEvent, AskEvent, AnswerEvent, StopEvent",
    });
    await call(app, "POST", `/handlers/${id}/cancel`);
    await reader.rest();
  });

  it("answers 400 for fields that fail the event's schema, and for an unknown step", async () => {
    const { app, id, reader } = await waitingHitl();
    const bad = await call(app, "POST", `/events/${id}`, {
      event: { type: "AnswerEvent", value: { response: 5 } },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.json.detail, /^Failed to deserialize event: .*`response`/s);
    const noStep = await call(app, "POST", `/events/${id}`, {
      event: { type: "AnswerEvent", value: { response: "Ada" } },
      step: "nope",
    });
    assert.equal(noStep.status, 400);
    assert.match(noStep.json.detail, /nope/);
    await call(app, "POST", `/handlers/${id}/cancel`);
    await reader.rest();
  });

  it("answers 409 for a run that has ended, and 404 for an unknown handler", async () => {
    const app = fixtureApp();
    const id = await startRun(app, "greet", { name: "Ada" });
    await waitForEnd(app, id);
    const event = { type: "StopEvent", value: {} };
    const ended = await call(app, "POST", `/events/${id}`, { event });
    assert.equal(ended.status, 409);
    assert.deepEqual(ended.json, { detail: "Workflow already completed" });
    const unknown = await call(app, "POST", "/events/nope", { event });
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.json, { detail: "Handler not found" });
  });

  it("answers 400 for a body that is not a JSON object", async () => {
    const { app, id, reader } = await waitingHitl();
    for (const body of ["nope", "[]"]) {
      const reply = await call(app, "POST", `/events/${id}`, body);
      assert.equal(reply.status, 400, body);
      assert.match(reply.json.detail, /^Error processing request: /);
    }
    await call(app, "POST", `/handlers/${id}/cancel`);
    await reader.rest();
  });
});
