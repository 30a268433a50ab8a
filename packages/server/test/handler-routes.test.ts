import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { call, fixtureApp, startRun, waitForEnd } from "./helpers.js";

/** An app with one completed greet, one failed run and one running slow run. */
async function appWithHandlers() {
  const app = fixtureApp();
  const completed = await startRun(app, "greet", { name: "Ada" });
  const failed = await startRun(app, "fail");
  const running = await startRun(app, "slow");
  await waitForEnd(app, completed);
  await waitForEnd(app, failed);
  return { app, completed, failed, running };
}

function ids(reply: { json: { handlers: { handler_id: string }[] } }): string[] {
  return reply.json.handlers.map((handler) => handler.handler_id);
}

describe("GET /handlers", () => {
  it("lists every handler, running and ended, in the order they started", async () => {
    const { app, completed, failed, running } = await appWithHandlers();
    const reply = await call(app, "GET", "/handlers");
    assert.equal(reply.status, 200);
    assert.deepEqual(ids(reply), [completed, failed, running]);
    await call(app, "POST", `/handlers/${running}/cancel`);
  });

  it("filters by status and workflow_name, each repeatable", async () => {
    const { app, completed, failed, running } = await appWithHandlers();
    const byStatus = await call(app, "GET", "/handlers?status=failed&status=running");
    assert.deepEqual(ids(byStatus), [failed, running]);
    const byName = await call(app, "GET", "/handlers?workflow_name=greet&workflow_name=slow");
    assert.deepEqual(ids(byName), [completed, running]);
    const both = await call(app, "GET", "/handlers?status=completed&workflow_name=slow");
    assert.deepEqual(ids(both), []);
    await call(app, "POST", `/handlers/${running}/cancel`);
  });

  it("treats empty values as no filter, and an unknown status as matching nothing", async () => {
    const { app, running } = await appWithHandlers();
    assert.equal(ids(await call(app, "GET", "/handlers?status=&workflow_name=")).length, 3);
    assert.deepEqual(ids(await call(app, "GET", "/handlers?status=bogus")), []);
    assert.deepEqual(ids(await call(app, "GET", "/handlers?workflow_name=nope")), []);
    await call(app, "POST", `/handlers/${running}/cancel`);
  });
});

describe("GET /handlers/{id}", () => {
  it("answers 202 while running, 200 once completed and 500 when failed, with HandlerData", async () => {
    const { app, completed, failed, running } = await appWithHandlers();
    const statuses = await Promise.all(
      [running, completed, failed].map(async (id) => {
        const reply = await call(app, "GET", `/handlers/${id}`);
        return [reply.status, reply.json.status];
      }),
    );
    assert.deepEqual(statuses, [
      [202, "running"],
      [200, "completed"],
      [500, "failed"],
    ]);
    await call(app, "POST", `/handlers/${running}/cancel`);
  });

  it("answers 404 `Handler not found` for an unknown id", async () => {
    const reply = await call(fixtureApp(), "GET", "/handlers/nope");
    assert.equal(reply.status, 404);
    assert.deepEqual(reply.json, { detail: "Handler not found" });
  });
});

describe("POST /handlers/{id}/cancel", () => {
  it("cancels a running handler, which then answers 500 with status cancelled", async () => {
    const { app, running } = await appWithHandlers();
    const reply = await call(app, "POST", `/handlers/${running}/cancel?purge=false`);
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json, { status: "cancelled" });
    const after = await call(app, "GET", `/handlers/${running}`);
    assert.equal(after.status, 500);
    assert.equal(after.json.status, "cancelled");
    assert.equal(after.json.error, null);
    assert.notEqual(after.json.completed_at, null);
  });

  it("answers 404 for a second cancel, and for an unknown handler", async () => {
    const { app, running, completed } = await appWithHandlers();
    await call(app, "POST", `/handlers/${running}/cancel`);
    for (const id of [running, completed, "nope"]) {
      const reply = await call(app, "POST", `/handlers/${id}/cancel`);
      assert.equal(reply.status, 404, id);
      assert.deepEqual(reply.json, { detail: "Handler not found" });
    }
  });

  it("with purge=true cancels and forgets the handler, running or ended", async () => {
    const { app, running, completed } = await appWithHandlers();
    for (const id of [running, completed]) {
      const reply = await call(app, "POST", `/handlers/${id}/cancel?purge=true`);
      assert.deepEqual(reply.json, { status: "deleted" });
      assert.equal((await call(app, "GET", `/handlers/${id}`)).status, 404);
    }
    assert.equal(ids(await call(app, "GET", "/handlers")).length, 1);
  });
});

describe("GET /results/{id} (deprecated)", () => {
  it("unwraps a plain StopEvent's result, and gives a typed stop's fields", async () => {
    const app = fixtureApp();
    const greet = await startRun(app, "greet", { name: "Ada" });
    const typed = await startRun(app, "typed", { query: "q" });
    await waitForEnd(app, greet);
    await waitForEnd(app, typed);
    const plain = await call(app, "GET", `/results/${greet}`);
    assert.equal(plain.status, 200);
    assert.equal(plain.json.result, "Hello, Ada!");
    const typedReply = await call(app, "GET", `/results/${typed}`);
    assert.deepEqual(typedReply.json.result, { answer: "answer to q", sources: ["doc0", "doc1"] });
  });
});
