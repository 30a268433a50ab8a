import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Context,
  InMemoryRuntime,
  StartEvent,
  StopEvent,
  step,
  Workflow,
} from "@stepwise/core";
import type { StartRunRequest } from "@stepwise/core/runtime";
import { createServer } from "@stepwise/server";
import { z } from "zod";
import { call, fixtureApp, startRun, waitForEnd } from "./helpers.js";

const HANDLER_KEYS = [
  "handler_id",
  "workflow_name",
  "run_id",
  "error",
  "result",
  "status",
  "started_at",
  "updated_at",
  "completed_at",
];

describe("POST /workflows/{name}/run", () => {
  it("waits for the run and answers 200 with the completed HandlerData, keys in wire order", async () => {
    const reply = await call(fixtureApp(), "POST", "/workflows/greet/run", {
      start_event: { name: "Ada" },
      context: {},
    });
    assert.equal(reply.status, 200);
    assert.deepEqual(Object.keys(reply.json), HANDLER_KEYS);
    assert.equal(reply.json.status, "completed");
    assert.equal(reply.json.workflow_name, "greet");
    assert.equal(reply.json.error, null);
    assert.deepEqual(reply.json.result, {
      value: { result: "Hello, Ada!" },
      qualified_name: "workflows.events.StopEvent",
      type: "StopEvent",
      types: null,
    });
    assert.match(reply.json.handler_id, /^[A-Za-z0-9]{10}$/);
    assert.match(reply.json.run_id, /^[A-Za-z0-9]{10}$/);
    assert.match(reply.json.started_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    assert.equal(reply.json.completed_at, reply.json.updated_at);
  });

  it("answers 500 with the failed HandlerData when a step throws", async () => {
    const reply = await call(fixtureApp(), "POST", "/workflows/fail/run", {});
    assert.equal(reply.status, 500);
    assert.equal(reply.json.status, "failed");
    assert.equal(reply.json.error, "boom");
    assert.equal(reply.json.result, null);
  });

  it("sends a typed stop event's fields as plain keys", async () => {
    const reply = await call(fixtureApp(), "POST", "/workflows/typed/run", {
      start_event: { query: "what", topK: 2 },
    });
    assert.deepEqual(reply.json.result, {
      value: { answer: "answer to what", sources: ["doc0", "doc1"] },
      qualified_name: "TypedStop",
      type: "TypedStop",
      types: ["StopEvent"],
    });
  });
});

describe("the start event of a run request", () => {
  const cases: [string, unknown, string][] = [
    ["a bare object of fields", { start_event: { name: "Ada" } }, "Hello, Ada!"],
    [
      "an envelope with type and value",
      { start_event: { type: "GreetStart", value: { name: "Bo" }, qualified_name: null } },
      "Hello, Bo!",
    ],
    ["a JSON string of an object", { start_event: JSON.stringify({ name: "Cy" }) }, "Hello, Cy!"],
    [
      "the legacy `data` key",
      { start_event: { type: "GreetStart", data: { name: "Di" } } },
      "Hello, Di!",
    ],
    ["`kwargs` when there is no start_event", { kwargs: { name: "Ed" } }, "Hello, Ed!"],
    [
      "untyped fields under `_data` (the Python client's plain StartEvent)",
      { start_event: { _data: { name: "Flo" } } },
      "Hello, Flo!",
    ],
  ];
  for (const [what, body, expected] of cases) {
    it(`reads ${what}`, async () => {
      const reply = await call(fixtureApp(), "POST", "/workflows/greet/run", body);
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.json.result.value.result, expected);
    });
  }

  it("gives a plain StartEvent the fields of a Python client's `_data` envelope", async () => {
    const echo = new Workflow({ name: "Echo" }).addStep(
      "echo",
      { accepts: StartEvent, emits: StopEvent },
      (ev: StartEvent) => new StopEvent({ result: ev.get("name") }),
    );
    const reply = await call(createServer({ workflows: { echo } }), "POST", "/workflows/echo/run", {
      start_event: { value: { _data: { name: "Ada" } }, type: "StartEvent", qualified_name: null },
      context: {},
    });
    assert.equal(reply.json.result.value.result, "Ada");
  });

  const refused: [string, unknown, RegExp][] = [
    [
      "a start event that fails its schema, naming the field",
      { start_event: { name: 5 } },
      /^Validation error for 'start_event': Failed to deserialize event: .*`name`: .*received number/s,
    ],
    [
      "a missing required field",
      { start_event: {} },
      /^Validation error for 'start_event': Failed to deserialize event: .*`name`: .*missing/s,
    ],
    [
      "a start_event that is not an object",
      { start_event: 5 },
      /^Validation error for 'start_event': Failed to deserialize event\. Must be a json object, or stringified json object$/,
    ],
    [
      "an envelope naming a type the workflow does not know",
      { start_event: { type: "NoSuchEvent", value: {} } },
      /^Validation error for 'start_event': Invalid event type: NoSuchEvent\. Expected one of GreetStart, StopEvent$/,
    ],
    [
      "an envelope of a type that is not the start event",
      { start_event: { type: "StopEvent", value: {} } },
      /^Start event must be an instance of GreetStart$/,
    ],
    [
      "a non-empty context while the context API is off",
      { start_event: { name: "Ada" }, context: { state: {} } },
      /^Context API is disabled\./,
    ],
    [
      "a handler_id that is not a string",
      { start_event: { name: "Ada" }, handler_id: 5 },
      /`handler_id` must be a string/,
    ],
  ];
  for (const [what, body, detail] of refused) {
    it(`answers 400 for ${what}`, async () => {
      const reply = await call(fixtureApp(), "POST", "/workflows/greet/run", body);
      assert.equal(reply.status, 400, reply.text);
      assert.match(reply.json.detail, detail);
    });
  }

  it("answers 400 for a body that is not JSON, or empty, or not an object", async () => {
    const app = fixtureApp();
    for (const [body, detail] of [
      ["{nope", /^Invalid JSON body: /],
      ["", /^Invalid JSON body: the body is empty$/],
      ["[1,2]", /^Error processing request body: expected a JSON object, got an array$/],
    ] as const) {
      const reply = await call(app, "POST", "/workflows/greet/run-nowait", body);
      assert.equal(reply.status, 400, body);
      assert.match(reply.json.detail, detail);
    }
  });

  it("never makes an event of a class the workflow does not know, even a built-in one", async () => {
    const reply = await call(fixtureApp(), "POST", "/workflows/greet/run", {
      start_event: { type: "WorkflowFailedEvent", value: {} },
    });
    assert.equal(reply.status, 400);
    assert.match(reply.json.detail, /Invalid event type: WorkflowFailedEvent/);
  });
});

describe("POST /workflows/{name}/run-nowait", () => {
  it("answers at once with the running HandlerData; the run then completes", async () => {
    const app = fixtureApp();
    const reply = await call(app, "POST", "/workflows/hitl/run-nowait", {
      start_event: { value: {}, type: "StartEvent", qualified_name: null },
      context: {},
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.json.status, "running");
    assert.equal(reply.json.result, null);
    assert.equal(reply.json.completed_at, null);
    const greet = await call(app, "POST", "/workflows/greet/run-nowait", {
      start_event: { name: "Ada" },
    });
    const ended = await waitForEnd(app, greet.json.handler_id);
    assert.equal(ended.json.status, "completed");
  });

  it("answers 409 when the given handler_id names a handler that is still running", async () => {
    const app = fixtureApp();
    const first = await call(app, "POST", "/workflows/slow/run-nowait", { handler_id: "dup-1" });
    assert.equal(first.json.handler_id, "dup-1");
    for (const route of ["run-nowait", "run"]) {
      const again = await call(app, "POST", `/workflows/slow/${route}`, { handler_id: "dup-1" });
      assert.equal(again.status, 409, route);
      assert.deepEqual(again.json, { detail: "Handler 'dup-1' is already running" });
    }
    await call(app, "POST", "/handlers/dup-1/cancel");
  });

  it("starts a new run under the id of a completed handler, with its store", async () => {
    class Counter extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async count(ev: StartEvent, ctx: Context) {
        const runs = (ctx.store.get("runs", 0) as number) + 1;
        await ctx.store.set("runs", runs);
        return new StopEvent({ result: `${ev.get("name")} #${runs}` });
      }
    }
    const app = createServer({ workflows: { counter: new Counter() } });
    const one = await call(app, "POST", "/workflows/counter/run", {
      handler_id: "h1",
      start_event: { name: "One" },
    });
    const two = await call(app, "POST", "/workflows/counter/run", {
      handler_id: "h1",
      start_event: { name: "Two" },
    });
    assert.equal(two.status, 200);
    assert.equal(two.json.handler_id, "h1");
    assert.notEqual(two.json.run_id, one.json.run_id);
    assert.equal(two.json.result.value.result, "Two #2");
    const list = await call(app, "GET", "/handlers");
    assert.equal(list.json.handlers.length, 1);
  });
});

describe("the context API", () => {
  class Tally extends Workflow {
    static override state = z.object({ total: z.number().default(0) });

    @step({ accepts: StartEvent, emits: StopEvent })
    async add(ev: StartEvent, ctx: Context<{ total: number }>) {
      const total = ctx.store.get("total") + Number(ev.get("n", 0));
      await ctx.store.set("total", total);
      return new StopEvent({ result: total });
    }
  }

  it("starts a run from a stepwise snapshot when enabled", async () => {
    const tally = new Tally();
    const handler = tally.run({ n: 5 });
    await handler;
    const snapshot = JSON.parse(JSON.stringify(handler.ctx.toJSON()));
    const app = createServer({ workflows: { tally }, acceptContextApi: true });
    const reply = await call(app, "POST", "/workflows/tally/run", {
      start_event: { n: 2 },
      context: snapshot,
    });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json.result.value.result, 7);
  });

  it("answers 400 for a context that is not a snapshot", async () => {
    const app = createServer({ workflows: { tally: new Tally() }, acceptContextApi: true });
    const reply = await call(app, "POST", "/workflows/tally/run", { context: { nope: 1 } });
    assert.equal(reply.status, 400);
    assert.match(reply.json.detail, /^Invalid context: /);
  });

  it("resumes a snapshot on a server-wide runtime", async () => {
    const tally = new Tally();
    const handler = tally.run({ n: 5 });
    await handler;
    const snapshot = JSON.parse(JSON.stringify(handler.ctx.toJSON()));
    const started: string[] = [];
    const runtime = new (class extends InMemoryRuntime {
      override startRun(request: StartRunRequest) {
        started.push(request.runId);
        return super.startRun(request);
      }
    })();
    const app = createServer({ workflows: { tally }, acceptContextApi: true, runtime });
    const reply = await call(app, "POST", "/workflows/tally/run", {
      start_event: { n: 2 },
      context: snapshot,
    });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json.result.value.result, 7);
    assert.deepEqual(started, [reply.json.run_id], "the run is on the server's runtime");
  });
});

describe("handlers of ended runs", () => {
  it("stay listed with their result after the run ends", async () => {
    const app = fixtureApp();
    const id = await startRun(app, "greet", { name: "Ada" });
    await waitForEnd(app, id);
    const reply = await call(app, "GET", "/handlers");
    const found = reply.json.handlers.find((h: { handler_id: string }) => h.handler_id === id);
    assert.equal(found.status, "completed");
    assert.equal(found.result.value.result, "Hello, Ada!");
  });
});
