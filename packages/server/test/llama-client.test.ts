/**
 * LlamaIndex's own TypeScript client (`@llamaindex/workflows-client`, from npm) driving a
 * stepwise server over HTTP: every route it has a function for, and stepwise's drawing route
 * through its generic `get`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type Client,
  createClient,
  createConfig,
  getEventsByHandlerId,
  getHandlers,
  getHandlersByHandlerId,
  getHealth,
  getResultsByHandlerId,
  getWorkflows,
  getWorkflowsByNameEvents,
  getWorkflowsByNameRepresentation,
  getWorkflowsByNameSchema,
  postEventsByHandlerId,
  postHandlersByHandlerIdCancel,
  postWorkflowsByNameRun,
  postWorkflowsByNameRunNowait,
} from "@llamaindex/workflows-client";
import { type RunningServer, serve } from "@stepwise/server";
import { fixtureApp } from "./helpers.js";

let running: RunningServer;
let client: Client;

before(async () => {
  running = await serve(fixtureApp(), { port: 0 });
  client = createClient(createConfig({ baseUrl: running.url }));
});

after(async () => {
  await running.close();
});

/** The value, asserted to be there. */
function defined<T>(value: T | undefined): T {
  assert.ok(value !== undefined, "the client returned data");
  return value;
}

/** The events of a handler through the client's SSE stream, from the start. */
async function streamTypes(handlerId: string, onEvent?: (type: string) => Promise<void>) {
  const { stream } = await getEventsByHandlerId({
    client,
    path: { handler_id: handlerId },
    query: { sse: true, include_internal: false, after_sequence: -1 },
    sseMaxRetryAttempts: 1,
  });
  const types: string[] = [];
  let last: any;
  for await (const event of stream) {
    const envelope = event as unknown as { type: string };
    types.push(envelope.type);
    last = event;
    await onEvent?.(envelope.type);
  }
  return { types, last };
}

describe("@llamaindex/workflows-client against a stepwise server", () => {
  it("checks health and lists the workflows", async () => {
    assert.deepEqual((await getHealth({ client })).data, { status: "healthy" });
    const { data } = await getWorkflows({ client });
    assert.deepEqual(data?.workflows, ["greet", "hitl", "stream", "fail", "slow", "typed"]);
  });

  it("reads schemas, event schemas and the graph", async () => {
    const schema = await getWorkflowsByNameSchema({ client, path: { name: "typed" } });
    assert.equal((defined(schema.data).start as { title: string }).title, "TypedStart");
    const events = await getWorkflowsByNameEvents({ client, path: { name: "hitl" } });
    assert.equal(events.data?.events.length, 4);
    const graph = await getWorkflowsByNameRepresentation({ client, path: { name: "hitl" } });
    const nodes = (defined(graph.data).graph as { nodes: { id: string }[] }).nodes;
    assert.ok(nodes.some((node) => node.id === "external_step"));
  });

  it("reads stepwise's HTML drawing with the client's own request function", async () => {
    // The client has no function for this route (the Python server has none); its `get` does.
    const { data, response } = await client.get<string>({
      url: "/workflows/{name}/draw",
      path: { name: "hitl" },
      parseAs: "text",
    });
    assert.equal(response.status, 200);
    assert.match(String(data), /<title>HitlFlow · stepwise<\/title>/);
    const missing = await client.get({ url: "/workflows/{name}/draw", path: { name: "nope" } });
    assert.equal(missing.response.status, 404);
    assert.deepEqual(missing.error, { detail: "Workflow not found" });
  });

  it("runs a workflow and waits for its result", async () => {
    const { data, response } = await postWorkflowsByNameRun({
      client,
      path: { name: "greet" },
      body: { start_event: { name: "Ada" } },
    });
    assert.equal(response.status, 200);
    assert.equal(data?.status, "completed");
    assert.deepEqual((defined(data).result as { value: unknown }).value, { result: "Hello, Ada!" });
  });

  it("reports a failed run as an error with the failed HandlerData", async () => {
    const { error, response } = await postWorkflowsByNameRun({
      client,
      path: { name: "fail" },
      body: {},
    });
    assert.equal(response.status, 500);
    assert.equal((error as { status: string }).status, "failed");
    assert.equal((error as { error: string }).error, "boom");
  });

  it("streams a run's events and ends after the stop event", async () => {
    const { data } = await postWorkflowsByNameRunNowait({
      client,
      path: { name: "stream" },
      body: { start_event: { count: 3 } },
    });
    const { types, last } = await streamTypes(data?.handler_id as string);
    assert.deepEqual(types, ["ProgressEvent", "ProgressEvent", "ProgressEvent", "StopEvent"]);
    assert.deepEqual(last.value, { result: 3 });
  });

  it("answers a human-in-the-loop run through postEventsByHandlerId", async () => {
    const { data } = await postWorkflowsByNameRunNowait({
      client,
      path: { name: "hitl" },
      body: { start_event: {} },
    });
    const handlerId = data?.handler_id as string;
    const running = await getHandlersByHandlerId({ client, path: { handler_id: handlerId } });
    assert.equal(running.response.status, 202);
    assert.equal(running.data?.status, "running");
    const { types, last } = await streamTypes(handlerId, async (type) => {
      if (type !== "AskEvent") return;
      const sent = await postEventsByHandlerId({
        client,
        path: { handler_id: handlerId },
        body: { event: { type: "AnswerEvent", value: { response: "Ada" } } },
      });
      assert.deepEqual(sent.data, { status: "sent" });
    });
    assert.deepEqual(types, ["ProgressEvent", "AskEvent", "ProgressEvent", "StopEvent"]);
    assert.equal(last.value.result, "Hello, Ada!");
    const done = await getHandlersByHandlerId({ client, path: { handler_id: handlerId } });
    assert.equal(done.response.status, 200);
    assert.equal(done.data?.status, "completed");
    const result = await getResultsByHandlerId({ client, path: { handler_id: handlerId } });
    assert.equal((result.data as { result: string }).result, "Hello, Ada!");
  });

  it("sends an event to one step with `step`, and gets a 400 for a step the workflow has not", async () => {
    const { data } = await postWorkflowsByNameRunNowait({
      client,
      path: { name: "hitl" },
      body: { start_event: {} },
    });
    const handlerId = data?.handler_id as string;
    const event = { type: "AnswerEvent", value: { response: "Bo" } };
    const wrong = await postEventsByHandlerId({
      client,
      path: { handler_id: handlerId },
      body: { event, step: "nope" },
    });
    assert.equal(wrong.response.status, 400);
    assert.match((wrong.error as { detail: string }).detail, /nope/);
    const { types, last } = await streamTypes(handlerId, async (type) => {
      if (type !== "AskEvent") return;
      const sent = await postEventsByHandlerId({
        client,
        path: { handler_id: handlerId },
        body: { event, step: "answer" },
      });
      assert.deepEqual(sent.data, { status: "sent" });
    });
    assert.equal(types.at(-1), "StopEvent");
    assert.equal(last.value.result, "Hello, Bo!");
  });

  it("cancels a run, then purges it; lists handlers with filters", async () => {
    const { data } = await postWorkflowsByNameRunNowait({
      client,
      path: { name: "slow" },
      body: {},
    });
    const handlerId = data?.handler_id as string;
    const listed = await getHandlers({
      client,
      query: { status: ["running"], workflow_name: ["slow"] },
    });
    assert.deepEqual(
      listed.data?.handlers.map((handler) => handler.handler_id),
      [handlerId],
    );
    const cancelled = await postHandlersByHandlerIdCancel({
      client,
      path: { handler_id: handlerId },
      query: { purge: false },
    });
    assert.deepEqual(cancelled.data, { status: "cancelled" });
    const after = await getHandlersByHandlerId({ client, path: { handler_id: handlerId } });
    assert.equal(after.response.status, 500);
    assert.equal((after.error as { status: string }).status, "cancelled");
    const purged = await postHandlersByHandlerIdCancel({
      client,
      path: { handler_id: handlerId },
      query: { purge: true },
    });
    assert.deepEqual(purged.data, { status: "deleted" });
    const gone = await getHandlersByHandlerId({ client, path: { handler_id: handlerId } });
    assert.equal(gone.response.status, 404);
    assert.deepEqual(gone.error, { detail: "Handler not found" });
  });
});
