import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StartEvent, StopEvent, Workflow } from "@stepwise/core";
import { createServer } from "@stepwise/server";
import { call, fixtureApp } from "./helpers.js";

describe("GET /health and /workflows", () => {
  it("answers healthy", async () => {
    const reply = await call(fixtureApp(), "GET", "/health");
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json, { status: "healthy" });
  });

  it("lists the served names in the order they were given", async () => {
    const reply = await call(fixtureApp(), "GET", "/workflows");
    assert.deepEqual(reply.json, {
      workflows: ["greet", "hitl", "stream", "fail", "slow", "typed"],
    });
  });
});

describe("GET /workflows/{name}/schema", () => {
  it("gives the JSON Schemas of the start and stop events, titled with their types", async () => {
    const reply = await call(fixtureApp(), "GET", "/workflows/typed/schema");
    assert.equal(reply.status, 200);
    assert.equal(reply.json.start.title, "TypedStart");
    assert.deepEqual(reply.json.start.required, ["query"]);
    assert.equal(reply.json.start.properties.topK.default, 2);
    assert.equal(reply.json.stop.title, "TypedStop");
    assert.deepEqual(reply.json.stop.required, ["answer", "sources"]);
    assert.equal("$schema" in reply.json.start, false);
  });

  it("gives an open object for a plain StartEvent", async () => {
    const reply = await call(fixtureApp(), "GET", "/workflows/hitl/schema");
    assert.deepEqual(reply.json.start, { title: "StartEvent", type: "object", properties: {} });
  });
});

describe("GET /workflows/{name}/events", () => {
  it("lists the schema of every event of the workflow, in the workflow's order", async () => {
    const reply = await call(fixtureApp(), "GET", "/workflows/hitl/events");
    assert.deepEqual(
      reply.json.events.map((schema: { title: string }) => schema.title),
      ["StartEvent", "AskEvent", "AnswerEvent", "StopEvent"],
    );
  });

  it("adds the additional events a workflow is served with", async () => {
    const { ProgressEvent } = await import("./fixtures/workflows.js");
    const app = fixtureApp({ additionalEvents: { greet: [ProgressEvent] } });
    const reply = await call(app, "GET", "/workflows/greet/events");
    assert.deepEqual(
      reply.json.events.map((schema: { title: string }) => schema.title),
      ["GreetStart", "StopEvent", "ProgressEvent"],
    );
  });
});

describe("GET /workflows/{name}/representation", () => {
  it("gives the graph in the Python shape: steps by name, events by type, external_step", async () => {
    const { graph } = (await call(fixtureApp(), "GET", "/workflows/hitl/representation")).json;
    assert.equal(graph.name, "HitlFlow");
    assert.equal(graph.description, null);
    const ids = graph.nodes.map((node: { id: string; node_type: string }) => [
      node.id,
      node.node_type,
    ]);
    assert.deepEqual(ids, [
      ["ask", "step"],
      ["answer", "step"],
      ["StartEvent", "event"],
      ["AskEvent", "event"],
      ["AnswerEvent", "event"],
      ["StopEvent", "event"],
      ["external_step", "external"],
    ]);
    const ask = graph.nodes.find((node: { id: string }) => node.id === "AskEvent");
    assert.deepEqual(ask.event_types, ["AskEvent", "InputRequiredEvent"]);
    assert.deepEqual(ask.produced_by, ["ask"]);
    assert.equal(ask.event_schema.title, "AskEvent");
    assert.deepEqual(graph.edges[0], { source: "StartEvent", target: "ask", label: null });
    assert.ok(
      graph.edges.some(
        (edge: { source: string; target: string }) =>
          edge.source === "external_step" && edge.target === "AnswerEvent",
      ),
    );
  });
});

describe("GET /workflows/{name}/draw", () => {
  it("gives stepwise's HTML drawing of the workflow, a page that loads nothing from elsewhere", async () => {
    const reply = await call(fixtureApp(), "GET", "/workflows/hitl/draw");
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.get("content-type"), "text/html; charset=UTF-8");
    assert.match(reply.text, /^<!doctype html>/i);
    assert.match(reply.text, /<title>HitlFlow · stepwise<\/title>/);
    assert.match(reply.text, /<meta name="generator" content="@stepwise\/draw">/);
    assert.match(reply.text, /http-equiv="Content-Security-Policy" content="default-src 'none'/);
    for (const name of ["ask", "answer", "AskEvent", "AnswerEvent"]) {
      assert.ok(reply.text.includes(name), `the drawing names ${name}`);
    }
  });

  it("draws each workflow under its own name", async () => {
    const app = fixtureApp();
    const greet = await call(app, "GET", "/workflows/greet/draw");
    assert.match(greet.text, /<title>GreetFlow · stepwise<\/title>/);
    const again = await call(app, "GET", "/workflows/greet/draw");
    assert.equal(again.text, greet.text);
  });
});

describe("errors of the workflow routes", () => {
  it("answers 404 `Workflow not found` for an unknown workflow", async () => {
    const app = fixtureApp();
    for (const [method, path] of [
      ["GET", "/workflows/nope/schema"],
      ["GET", "/workflows/nope/representation"],
      ["GET", "/workflows/nope/draw"],
      ["POST", "/workflows/nope/run"],
      ["POST", "/workflows/nope/run-nowait"],
    ] as const) {
      const reply = await call(app, method, path, method === "POST" ? {} : undefined);
      assert.equal(reply.status, 404, path);
      assert.deepEqual(reply.json, { detail: "Workflow not found" }, path);
      assert.equal(reply.headers.get("content-type"), "application/json");
    }
  });

  it("quotes the name in the 404 of /events, as the Python server does", async () => {
    const reply = await call(fixtureApp(), "GET", "/workflows/nope/events");
    assert.equal(reply.status, 404);
    assert.deepEqual(reply.json, { detail: "Workflow 'nope' not found" });
  });

  it("answers 404 `Not Found` for an unknown path and 405 for a wrong method, as JSON", async () => {
    const app = fixtureApp();
    const missing = await call(app, "GET", "/nowhere");
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { detail: "Not Found" });
    const wrong = await call(app, "DELETE", "/workflows");
    assert.equal(wrong.status, 405);
    assert.deepEqual(wrong.json, { detail: "Method Not Allowed" });
    assert.equal(wrong.headers.get("allow"), "GET, HEAD");
  });

  it("refuses to serve a workflow whose graph is invalid, naming it", () => {
    const broken = new Workflow({ name: "Broken" }).addStep(
      "only",
      { accepts: StartEvent, emits: [] },
      () => undefined,
    );
    assert.throws(() => createServer({ workflows: { broken } }), /Broken/);
  });

  it("refuses a class where an instance is needed, saying to instantiate it", () => {
    class Greet extends Workflow {}
    assert.throws(
      () => createServer({ workflows: { greet: Greet as never } }),
      /must be a Workflow instance.*instantiate it/,
    );
  });

  it("serves a workflow under the name it is given, whatever its class is called", async () => {
    const echo = new Workflow({ name: "EchoFlow" }).addStep(
      "echo",
      { accepts: StartEvent, emits: StopEvent },
      (ev: StartEvent) => new StopEvent({ result: ev.get("text") }),
    );
    const app = createServer({ workflows: { "say-it": echo } });
    const reply = await call(app, "POST", "/workflows/say-it/run", { start_event: { text: "hi" } });
    assert.equal(reply.json.workflow_name, "say-it");
    assert.deepEqual(reply.json.result.value, { result: "hi" });
  });
});
