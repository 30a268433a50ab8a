import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Context,
  InMemoryRuntime,
  StartEvent,
  type Workflow,
  type WorkflowHandler,
} from "@stepwise/core";
import { initialRunState, workflowSpec } from "@stepwise/core/runtime";
import { type HandlerRecord, MemoryHandlerStore } from "@stepwise/server";
import { answer, call, fixtureApp, openStream, StreamReader, waitForEnd } from "./helpers.js";

/** A running record, as a store would hold it from before a restart. */
function runningRecord(handlerId: string, runId: string, workflowName = "hitl"): HandlerRecord {
  return {
    handlerId,
    workflowName,
    runId,
    status: "running",
    error: null,
    result: null,
    startedAt: 1_000,
    updatedAt: 1_000,
    completedAt: null,
  };
}

/** An in-memory runtime whose `recover` brings back the given runs (started afresh) once let go. */
class RecoveringRuntime extends InMemoryRuntime {
  #release!: () => void;
  readonly released = new Promise<void>((resolve) => {
    this.#release = resolve;
  });

  constructor(readonly runIds: readonly string[]) {
    super();
  }

  release(): void {
    this.#release();
  }

  override async recover(workflows: readonly Workflow[]): Promise<readonly WorkflowHandler[]> {
    await this.released;
    const workflow = workflows.find((wf) => wf.workflowName === "HitlFlow") as Workflow;
    return this.runIds.map((runId) =>
      this.startRun({
        workflow,
        runId,
        startEvent: new StartEvent(),
        state: initialRunState(workflowSpec(workflow).config),
        ctx: new Context(workflow),
      }),
    );
  }
}

describe("a server-wide runtime", () => {
  it("runs every served workflow on it", async () => {
    const runtime = new InMemoryRuntime();
    const app = fixtureApp({ runtime });
    const started = await call(app, "POST", "/workflows/slow/run-nowait", {});
    assert.deepEqual(
      runtime.listRuns().map((run) => run.runId),
      [started.json.run_id],
    );
    await call(app, "POST", `/handlers/${started.json.handler_id}/cancel`);
    assert.deepEqual(runtime.listRuns(), []);
  });

  it("answers /health 503 until recovery is done, and holds other requests until then", async () => {
    const runtime = new RecoveringRuntime([]);
    const app = fixtureApp({ runtime });
    const health = await call(app, "GET", "/health");
    assert.equal(health.status, 503);
    assert.deepEqual(health.json, { status: "unhealthy" });
    let isAnswered = false;
    const listing = call(app, "GET", "/workflows").then((reply) => {
      isAnswered = true;
      return reply;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(isAnswered, false);
    runtime.release();
    assert.equal((await listing).status, 200);
    assert.equal((await call(app, "GET", "/health")).status, 200);
  });

  it("adopts the runs the runtime recovers under their records, and fails the ones it lost", async () => {
    const store = new MemoryHandlerStore();
    store.put(runningRecord("back", "run-back"));
    store.put(runningRecord("lost", "run-lost"));
    const runtime = new RecoveringRuntime(["run-back"]);
    runtime.release();
    const app = fixtureApp({ runtime, store });

    const lost = await call(app, "GET", "/handlers/lost");
    assert.equal(lost.json.status, "failed");
    assert.match(lost.json.error, /not recovered/);

    const reader = new StreamReader(await openStream(app, "back", "after_sequence=-1"));
    await reader.until("AskEvent");
    await answer(app, "back", "Bo");
    assert.equal((await reader.rest()).at(-1)?.data.value.result, "Hello, Bo!");
    const back = await waitForEnd(app, "back");
    assert.equal(back.json.status, "completed");
    assert.equal(back.json.run_id, "run-back");
    assert.equal(back.json.started_at, "1970-01-01T00:00:01.000000+00:00");
  });
});

describe("a store that keeps events", () => {
  it("serves the stream of a run that ended before the server started", async () => {
    const store = new MemoryHandlerStore();
    const record: HandlerRecord = {
      ...runningRecord("old", "run-old", "greet"),
      status: "completed",
      completedAt: 2_000,
    };
    store.put(record);
    const stop = {
      value: { result: "Hello, Old!" },
      qualified_name: "workflows.events.StopEvent",
      type: "StopEvent",
      types: null,
    };
    const keeping = Object.assign(store, {
      events: () => [{ seq: 2, envelope: stop, internal: false }],
    });
    const app = fixtureApp({ store: keeping });
    const text = await (await openStream(app, "old", "after_sequence=-1")).text();
    assert.equal(
      text,
      'id: 2\ndata: {"value":{"result":"Hello, Old!"},"qualified_name":"workflows.events.StopEvent","type":"StopEvent","types":null}\n\n',
    );
    assert.equal((await call(app, "GET", "/events/old?after_sequence=2")).status, 204);
  });

  it("answers 204 for such a run when the store keeps no events", async () => {
    const store = new MemoryHandlerStore();
    store.put({ ...runningRecord("old", "run-old", "greet"), status: "completed" });
    const app = fixtureApp({ store });
    assert.equal((await call(app, "GET", "/events/old?after_sequence=-1")).status, 204);
  });
});

describe("a runtime whose recovery fails", () => {
  it("reports it once, answers 503 on /health and 500 with the reason elsewhere", async () => {
    class Broken extends InMemoryRuntime {
      override async recover(): Promise<readonly WorkflowHandler[]> {
        throw new Error("journal unreadable");
      }
    }
    const reported: string[] = [];
    const app = fixtureApp({
      runtime: new Broken(),
      onError: (message, error) => reported.push(`${message}: ${(error as Error).message}`),
    });
    const reply = await call(app, "GET", "/workflows");
    assert.equal(reply.status, 500);
    assert.deepEqual(reply.json, {
      detail: "Recovering unfinished runs failed: journal unreadable",
    });
    assert.equal((await call(app, "GET", "/health")).status, 503);
    assert.equal(reported.length, 1);
    assert.match(reported[0] as string, /could not recover .*journal unreadable/);
  });
});
