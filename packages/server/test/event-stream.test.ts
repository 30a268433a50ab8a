import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serverStats } from "@stepwise/server";
import {
  answer,
  call,
  fixtureApp,
  openStream,
  read,
  StreamReader,
  sseFrames,
  startRun,
  waitForEnd,
} from "./helpers.js";

/** A hitl run answered with "Ada" once it was idle, ended; its handler id. */
async function endedHitl(app = fixtureApp()) {
  const id = await startRun(app, "hitl");
  const query = "after_sequence=-1&include_internal=true";
  const reader = new StreamReader(await openStream(app, id, query));
  await reader.until("WorkflowIdleEvent");
  await answer(app, id);
  await reader.rest();
  await waitForEnd(app, id);
  return { app, id };
}

describe("GET /events/{id} as Server-Sent Events", () => {
  it("frames each event as `id: <seq>` and `data: <envelope>`, with the run's own sequence numbers", async () => {
    const { app, id } = await endedHitl();
    const response = await openStream(app, id, "sse=true&include_internal=false&after_sequence=-1");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const text = await response.text();
    assert.equal(
      text,
      [
        'id: 1\ndata: {"value":{"msg":"asking"},"qualified_name":"ProgressEvent","type":"ProgressEvent","types":null}\n\n',
        'id: 3\ndata: {"value":{"prompt":"name?"},"qualified_name":"AskEvent","type":"AskEvent","types":["InputRequiredEvent"]}\n\n',
        'id: 6\ndata: {"value":{"msg":"got Ada"},"qualified_name":"ProgressEvent","type":"ProgressEvent","types":null}\n\n',
        'id: 8\ndata: {"value":{"result":"Hello, Ada!"},"qualified_name":"workflows.events.StopEvent","type":"StopEvent","types":null}\n\n',
      ].join(""),
    );
  });

  it("adds the internal events with include_internal, named as in Python", async () => {
    const { app, id } = await endedHitl();
    const text = await (
      await openStream(app, id, "include_internal=true&after_sequence=-1")
    ).text();
    const frames = sseFrames(text);
    assert.deepEqual(
      frames.map((frame) => [frame.id, frame.data.type]),
      [
        [0, "StepStateChanged"],
        [1, "ProgressEvent"],
        [2, "StepStateChanged"],
        [3, "AskEvent"],
        [4, "WorkflowIdleEvent"],
        [5, "StepStateChanged"],
        [6, "ProgressEvent"],
        [7, "StepStateChanged"],
        [8, "StopEvent"],
      ],
    );
    assert.deepEqual(frames[2]?.data, {
      value: {
        name: "ask",
        step_state: "not_running",
        worker_id: "0",
        input_event_name: "StartEvent",
        output_event_name: "AskEvent",
      },
      qualified_name: "workflows.events.StepStateChanged",
      type: "StepStateChanged",
      types: ["InternalDispatchEvent"],
    });
  });

  it("resumes after `after_sequence=N`, and a Last-Event-ID header overrides it", async () => {
    const { app, id } = await endedHitl();
    const after = sseFrames(await (await openStream(app, id, "after_sequence=3")).text());
    assert.deepEqual(
      after.map((frame) => frame.id),
      [6, 8],
    );
    const resumed = await openStream(app, id, "after_sequence=-1", { "Last-Event-ID": "3" });
    assert.deepEqual(
      sseFrames(await resumed.text()).map((frame) => frame.id),
      [6, 8],
    );
    const ignored = await openStream(app, id, "after_sequence=-1", { "Last-Event-ID": "x" });
    assert.equal(sseFrames(await ignored.text()).length, 4);
  });

  it("treats after_sequence below -1 as -1 and refuses one that is not an integer", async () => {
    const { app, id } = await endedHitl();
    assert.equal(
      sseFrames(await (await openStream(app, id, "after_sequence=-5")).text()).length,
      4,
    );
    const bad = await read(await openStream(app, id, "after_sequence=abc"));
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { detail: "Invalid after_sequence: 'abc'" });
  });

  it("answers a clean 204 when the run has ended and nothing is left after the cursor", async () => {
    const { app, id } = await endedHitl();
    for (const query of ["", "after_sequence=now", "after_sequence=8", "after_sequence=20"]) {
      const reply = await read(await openStream(app, id, query));
      assert.equal(reply.status, 204, query);
      assert.equal(reply.text, "", query);
    }
  });

  it("answers 404 for an unknown handler", async () => {
    const reply = await read(await openStream(fixtureApp(), "nope", "after_sequence=-1"));
    assert.equal(reply.status, 404);
    assert.deepEqual(reply.json, { detail: "Handler not found" });
  });

  it("with `now` skips what the run published before the request", async () => {
    const app = fixtureApp();
    const id = await startRun(app, "hitl");
    const first = new StreamReader(
      await openStream(app, id, "after_sequence=-1&include_internal=true"),
    );
    await first.until("WorkflowIdleEvent");
    const late = new StreamReader(await openStream(app, id));
    await answer(app, id);
    assert.deepEqual(
      (await late.rest()).map((frame) => [frame.id, frame.data.type]),
      [
        [6, "ProgressEvent"],
        [8, "StopEvent"],
      ],
    );
    await first.rest();
  });

  it("sends heartbeats while the run waits, and none once events flow", async () => {
    const app = fixtureApp({ heartbeatInterval: 0.02 });
    const id = await startRun(app, "hitl");
    const reader = new StreamReader(await openStream(app, id, "after_sequence=-1"));
    await reader.until("AskEvent");
    assert.equal(await reader.next(), ": heartbeat");
    assert.equal(await reader.next(), ": heartbeat");
    await answer(app, id);
    const frames = await reader.rest();
    assert.equal(frames.at(-1)?.data.type, "StopEvent");
  });

  it("ends right after the terminal event of a failed or cancelled run", async () => {
    const app = fixtureApp();
    const failed = await startRun(app, "fail");
    const frames = sseFrames(await (await openStream(app, failed, "after_sequence=-1")).text());
    assert.equal(frames.length, 1);
    assert.deepEqual(frames[0]?.data.value, {
      step_name: "explode",
      exception: { exception_type: "Error", exception_message: "boom" },
      attempts: 1,
      elapsed_seconds: frames[0]?.data.value.elapsed_seconds,
    });
    assert.deepEqual(frames[0]?.data.types, ["StopEvent"]);
    assert.ok(frames[0]?.data.value.elapsed_seconds < 60, "a duration, not the Unix time");

    const slow = await startRun(app, "slow");
    const reader = new StreamReader(await openStream(app, slow, "after_sequence=-1"));
    await call(app, "POST", `/handlers/${slow}/cancel`);
    const [cancelled, ...after] = await reader.rest();
    assert.deepEqual(cancelled?.data, {
      value: {},
      qualified_name: "workflows.events.WorkflowCancelledEvent",
      type: "WorkflowCancelledEvent",
      types: ["StopEvent"],
    });
    assert.deepEqual(after, []);
  });

  it("leaves out the qualified name with include_qualified_name=false", async () => {
    const { app, id } = await endedHitl();
    const query = "after_sequence=-1&include_qualified_name=false";
    const frames = sseFrames(await (await openStream(app, id, query)).text());
    assert.ok(frames.every((frame) => frame.data.qualified_name === null));
  });
});

describe("GET /events/{id} as NDJSON", () => {
  it("writes one envelope per line with sse=false, and ignores Last-Event-ID", async () => {
    const { app, id } = await endedHitl();
    for (const value of ["false", "yes", "1"]) {
      const response = await openStream(app, id, `sse=${value}&after_sequence=3`, {
        "Last-Event-ID": "6",
      });
      assert.equal(response.headers.get("content-type"), "application/x-ndjson");
      const lines = (await response.text()).split("\n");
      assert.equal(lines.pop(), "");
      assert.deepEqual(
        lines.map((line) => JSON.parse(line).type),
        ["ProgressEvent", "StopEvent"],
        value,
      );
    }
  });
});

describe("many readers of one run", () => {
  it("gives every reader every event once, in order", async () => {
    const app = fixtureApp();
    const id = await startRun(app, "stream", { count: 200 });
    const texts = await Promise.all(
      Array.from({ length: 50 }, async () =>
        (await openStream(app, id, "after_sequence=-1")).text(),
      ),
    );
    for (const text of texts) {
      const frames = sseFrames(text);
      assert.equal(frames.length, 201);
      assert.deepEqual(
        frames.slice(0, 200).map((frame) => frame.data.value.msg),
        Array.from({ length: 200 }, (_, i) => `${i + 1}`),
      );
    }
  });

  it("stops waiting for a reader that goes away, at once", async () => {
    const app = fixtureApp();
    const id = await startRun(app, "slow");
    const readers = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const reader = new StreamReader(await openStream(app, id, "after_sequence=-1"));
        const pending = reader.next();
        await new Promise((resolve) => setTimeout(resolve, 0));
        return { reader, pending };
      }),
    );
    assert.equal(serverStats(app).waitingStreams, 100);
    await Promise.all(readers.map(({ reader }) => reader.cancel()));
    assert.equal(serverStats(app).waitingStreams, 0);
    await call(app, "POST", `/handlers/${id}/cancel`);
  });
});
