import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  EventDecodeError,
  StreamDisconnectedError,
  type StreamedEvent,
  WorkflowClient,
  WorkflowServerError,
} from "@stepwise/client";
import { Event } from "@stepwise/core";
import type { RunningServer } from "@stepwise/server";
import { z } from "zod";
import { AnswerEvent, AskEvent, GreetStart, ProgressEvent, serveFixtures } from "./fixtures.js";

let server: RunningServer;
let client: WorkflowClient<[typeof AskEvent, typeof ProgressEvent]>;

before(async () => {
  server = await serveFixtures();
  client = new WorkflowClient({
    baseUrl: `${server.url}/`,
    events: [AskEvent, ProgressEvent],
    reconnect: { delayMs: 5 },
  });
});

after(async () => {
  await server.close();
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe("WorkflowClient: workflows", () => {
  it("checks health, lists workflows, reads schemas and the graph", async () => {
    assert.equal(await client.isHealthy(), true);
    assert.deepEqual(await client.workflows(), ["greet", "hitl", "stream", "slow"]);
    assert.equal((await client.schema("greet")).start.title, "GreetStart");
    assert.deepEqual(
      (await client.eventSchemas("hitl")).map((schema) => schema.title),
      ["StartEvent", "AskEvent", "AnswerEvent", "StopEvent"],
    );
    const graph = await client.graph("hitl");
    assert.ok(graph.nodes.some((node) => node.node_type === "external"));
  });

  it("reads a workflow's HTML drawing, and a 404 for an unknown workflow", async () => {
    const page = await client.drawing("hitl");
    assert.match(page, /<title>HitlFlow · stepwise<\/title>/);
    await assert.rejects(client.drawing("nope"), { status: 404, detail: "Workflow not found" });
  });

  it("says a server is not healthy when nothing listens", async () => {
    const nowhere = new WorkflowClient({ baseUrl: "http://127.0.0.1:9" });
    assert.equal(await nowhere.isHealthy(), false);
  });
});

describe("WorkflowClient: runs", () => {
  it("runs with plain fields or an event instance, and waits for the result", async () => {
    const plain = await client.run("greet", { name: "Ada" });
    assert.equal(plain.status, "completed");
    assert.deepEqual(plain.result?.value, { result: "Hello, Ada!" });
    const typed = await client.run("greet", new GreetStart({ name: "Bo" }));
    assert.deepEqual(typed.result?.value, { result: "Hello, Bo!" });
  });

  it("wraps fields that would read as an envelope, using the start type from the schema", async () => {
    const handler = await client.run("stream", { value: 1, count: 1 });
    assert.equal(handler.status, "completed");
    assert.deepEqual(handler.result?.value, { result: 1 });
  });

  it("throws WorkflowServerError with the server's detail when a run is refused", async () => {
    await assert.rejects(client.run("nope"), (error: unknown) => {
      assert.ok(error instanceof WorkflowServerError);
      assert.equal(error.status, 404);
      assert.equal(error.detail, "Workflow not found");
      return true;
    });
    await assert.rejects(client.run("greet", { name: 5 }), { status: 400 });
  });

  it("starts a run without waiting, and lists and reads its handler", async () => {
    const started = await client.runNowait("slow", undefined, { handlerId: "client-slow" });
    assert.equal(started.status, "running");
    assert.equal((await client.handler("client-slow")).status, "running");
    const running = await client.handlers({ status: "running", workflowName: ["slow"] });
    assert.deepEqual(
      running.map((handler) => handler.handler_id),
      ["client-slow"],
    );
    assert.equal(await client.cancel("client-slow"), "cancelled");
    assert.equal((await client.handler("client-slow")).status, "cancelled");
    await assert.rejects(client.cancel("client-slow"), { status: 404 });
    assert.equal(await client.cancel("client-slow", { purge: true }), "deleted");
    await assert.rejects(client.handler("client-slow"), { status: 404 });
  });
});

describe("WorkflowClient: streams and events", () => {
  it("streams a run, answers its question, and gets instances of the classes it was given", async () => {
    const { handler_id: id } = await client.runNowait("hitl");
    const seen: StreamedEvent<AskEvent | ProgressEvent>[] = [];
    for await (const ev of client.streamEvents(id)) {
      seen.push(ev);
      if (ev.event instanceof AskEvent) {
        assert.equal(ev.event.prompt, "name?");
        await client.sendEvent(id, new AnswerEvent({ response: "Ada" }));
      }
    }
    assert.deepEqual(
      seen.map((ev) => [ev.type, ev.event?.constructor.name]),
      [
        ["ProgressEvent", "ProgressEvent"],
        ["AskEvent", "AskEvent"],
        ["StopEvent", undefined],
      ],
    );
    assert.deepEqual(
      seen.slice(0, 2).map((ev) => ev.seq),
      [1, 3],
    );
    assert.equal(seen.at(-1)?.isStop, true);
    assert.equal((await client.handler(id)).status, "completed");
  });

  it("sends an event to one step with `step`, and gets a 400 for a step the workflow has not", async () => {
    const { handler_id: id } = await client.runNowait("hitl");
    const answer = new AnswerEvent({ response: "Bo" });
    await assert.rejects(client.sendEvent(id, answer, { step: "nope" }), { status: 400 });
    for await (const ev of client.streamEvents(id)) {
      if (ev.event instanceof AskEvent) await client.sendEvent(id, answer, { step: "answer" });
    }
    const done = await client.handler(id);
    assert.equal(done.status, "completed");
    assert.deepEqual(done.result?.value, { result: "Hello, Bo!" });
  });

  it("resumes after `after`, includes internal events when asked, and ends at once when nothing is left", async () => {
    const { handler_id: id } = await client.run("stream", { count: 2 });
    const all = await collect(client.streamEvents(id, { includeInternal: true }));
    assert.equal(all[0]?.type, "StepStateChanged");
    const later = await collect(client.streamEvents(id, { after: 1 }));
    assert.deepEqual(
      later.map((ev) => ev.seq),
      [2, 4],
    );
    assert.deepEqual(await collect(client.streamEvents(id, { after: 4 })), []);
  });

  it("reconnects from the last sequence number when the connection drops", async () => {
    const { handler_id: id } = await client.run("stream", { count: 6 });
    let cuts = 0;
    const cutting = new WorkflowClient({
      baseUrl: server.url,
      reconnect: { delayMs: 1 },
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (!String(input).includes("/events/") || cuts >= 2) return response;
        cuts++;
        return new Response(cutAfterFrames(response.body as ReadableStream<Uint8Array>, 2), {
          status: response.status,
          headers: response.headers,
        });
      },
    });
    const events = await collect(cutting.streamEvents(id));
    assert.equal(cuts, 2);
    assert.deepEqual(
      events.map((ev) => ev.seq),
      [1, 2, 3, 4, 5, 6, 8],
    );
  });

  it("gives up with StreamDisconnectedError when the server stays away", async () => {
    const down = new WorkflowClient({
      baseUrl: "http://127.0.0.1:9",
      reconnect: { attempts: 2, delayMs: 1 },
    });
    await assert.rejects(collect(down.streamEvents("any", { after: 3 })), (error: unknown) => {
      assert.ok(error instanceof StreamDisconnectedError);
      assert.equal(error.lastSeq, 3);
      assert.equal(error.attempts, 2);
      return true;
    });
  });

  it("throws WorkflowServerError 404 for the stream of an unknown handler, and 409 for an event to an ended run", async () => {
    await assert.rejects(collect(client.streamEvents("nope")), { status: 404 });
    const { handler_id: id } = await client.run("greet", { name: "Ada" });
    await assert.rejects(client.sendEvent(id, { type: "StopEvent", value: {} }), {
      status: 409,
      detail: "Workflow already completed",
    });
  });

  it("throws EventDecodeError when a streamed event does not fit the class given for its type", async () => {
    class StrictAsk extends Event.define({ count: z.number() }) {
      static override get eventType() {
        return "AskEvent";
      }
    }
    const strict = new WorkflowClient({ baseUrl: server.url, events: [StrictAsk] });
    const { handler_id: id } = await client.runNowait("hitl");
    await assert.rejects(collect(strict.streamEvents(id)), (error: unknown) => {
      assert.ok(error instanceof EventDecodeError);
      assert.equal(error.eventType, "AskEvent");
      assert.match(error.message, /count/);
      return true;
    });
    await client.cancel(id);
  });

  it("sends the token it is given", async () => {
    const guarded = await serveFixtures({ token: "t0k" });
    try {
      const without = new WorkflowClient({ baseUrl: guarded.url });
      await assert.rejects(without.workflows(), { status: 401 });
      const withToken = new WorkflowClient({ baseUrl: guarded.url, token: "t0k" });
      assert.equal((await withToken.workflows()).length, 4);
    } finally {
      await guarded.close();
    }
  });
});

/** A body that passes `frames` SSE frames through, then fails as a dropped connection does. */
function cutAfterFrames(
  body: ReadableStream<Uint8Array>,
  frames: number,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffer = "";
  let passed = 0;
  return new ReadableStream({
    async pull(controller) {
      if (passed >= frames) {
        await reader.cancel();
        controller.error(new TypeError("terminated"));
        return;
      }
      while (!buffer.includes("\n\n")) {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        buffer += decoder.decode(value, { stream: true });
      }
      const end = buffer.indexOf("\n\n") + 2;
      controller.enqueue(encoder.encode(buffer.slice(0, end)));
      buffer = buffer.slice(end);
      passed++;
    },
  });
}
