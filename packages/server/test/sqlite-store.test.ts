import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createServer, type HandlerRecord, type RunningServer, serve } from "@stepwise/server";
import { SqliteRuntime } from "@stepwise/sqlite";
import { allWorkflows } from "./fixtures/workflows.js";
import { type Frame, read, StreamReader } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "stepwise-server-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A server on a SQLite runtime and its handler store, both on `path`, listening on 127.0.0.1. */
async function start(path: string): Promise<{ runtime: SqliteRuntime; server: RunningServer }> {
  const runtime = new SqliteRuntime({ path, synchronous: "normal" });
  const app = createServer({
    workflows: allWorkflows(),
    runtime,
    store: runtime.handlerStore<HandlerRecord>(),
    heartbeatInterval: 0.05,
    debugger: false,
  });
  return { runtime, server: await serve(app, { port: 0 }) };
}

async function stop(running: { runtime: SqliteRuntime; server: RunningServer }): Promise<void> {
  await running.server.close();
  running.runtime.close();
}

async function http(url: string, method = "GET", body?: unknown) {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "content-type": "application/json" };
  }
  return read(await fetch(url, init));
}

/** Every frame of a handler's stream from its first event, internal ones included. */
async function allFrames(url: string, handlerId: string): Promise<Frame[]> {
  const response = await fetch(
    `${url}/events/${handlerId}?after_sequence=-1&include_internal=true`,
  );
  assert.equal(response.status, 200);
  return new StreamReader(response).rest();
}

async function waitForEnd(url: string, handlerId: string) {
  for (let i = 0; i < 1000; i++) {
    const reply = await http(`${url}/handlers/${handlerId}`);
    if (reply.json?.status !== "running") return reply;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`handler ${handlerId} did not end`);
}

describe("a server on a SQLite runtime and its handler store", () => {
  it("answers a question asked before a restart, and keeps the handler and its whole stream", async () => {
    const path = join(dir, "restart.db");
    const first = await start(path);
    const started = await http(`${first.server.url}/workflows/hitl/run-nowait`, "POST", {});
    assert.equal(started.status, 200, started.text);
    const handlerId: string = started.json.handler_id;
    const stream = new StreamReader(
      await fetch(`${first.server.url}/events/${handlerId}?after_sequence=-1`),
    );
    const asked = await stream.until("AskEvent");
    assert.equal(asked.data.value.prompt, "name?");
    await stream.cancel();
    await stop(first);

    const second = await start(path);
    const url = second.server.url;
    const running = await http(`${url}/handlers/${handlerId}`);
    assert.equal(running.status, 202, running.text);
    assert.equal(running.json.status, "running");
    const sent = await http(`${url}/events/${handlerId}`, "POST", {
      event: { type: "AnswerEvent", value: { response: "Ada" } },
    });
    assert.equal(sent.status, 200, sent.text);
    const ended = await waitForEnd(url, handlerId);
    assert.equal(ended.status, 200, ended.text);
    assert.equal(ended.json.status, "completed");
    assert.equal(ended.json.result.value.result, "Hello, Ada!");
    const listed = await http(`${url}/handlers?status=completed`);
    assert.deepEqual(
      listed.json.handlers.map((h: { handler_id: string }) => h.handler_id),
      [handlerId],
    );
    const frames = await allFrames(url, handlerId);
    assertWhole(frames);
    await stop(second);

    // Once more, with the run ended before the restart: its record and its stream from the file.
    const third = await start(path);
    const kept = await http(`${third.server.url}/handlers/${handlerId}`);
    assert.equal(kept.status, 200, kept.text);
    assert.equal(kept.json.status, "completed");
    assert.equal(kept.json.result.value.result, "Hello, Ada!");
    assert.deepEqual(await allFrames(third.server.url, handlerId), frames);
    await stop(third);
  });
});

const CHILD = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "serve-child.ts");

/** Starts a server process on `path`; resolves to it and its URL once it listens. */
function spawnServer(path: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ["--conditions=@stepwise/source", "--import", "tsx", CHILD, path],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) resolve({ child, url: line.trim() });
    });
    child.once("exit", (code, signal) =>
      reject(new Error(`the server process exited (${code ?? signal}) before listening`)),
    );
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

describe("a server process killed with SIGKILL", () => {
  it("comes back on the same file: the question is answered, the stream whole", async () => {
    const path = join(dir, "killed.db");
    const first = await spawnServer(path);
    let handlerId: string;
    try {
      const started = await http(`${first.url}/workflows/hitl/run-nowait`, "POST", {});
      assert.equal(started.status, 200, started.text);
      handlerId = started.json.handler_id;
      const stream = new StreamReader(
        await fetch(`${first.url}/events/${handlerId}?after_sequence=-1`),
      );
      await stream.until("AskEvent");
      await kill(first.child);
      // The connection of the killed server ends.
      await stream.rest().catch(() => []);
    } finally {
      await kill(first.child);
    }
    const second = await spawnServer(path);
    try {
      const { url } = second;
      const resumed = new StreamReader(
        await fetch(`${url}/events/${handlerId}?after_sequence=-1&include_internal=true`),
      );
      await resumed.until("AskEvent");
      const sent = await http(`${url}/events/${handlerId}`, "POST", {
        event: { type: "AnswerEvent", value: { response: "Ada" } },
      });
      assert.equal(sent.status, 200, sent.text);
      await resumed.rest();
      const ended = await waitForEnd(url, handlerId);
      assert.equal(ended.json.status, "completed");
      assert.equal(ended.json.result.value.result, "Hello, Ada!");
      assertWhole(await allFrames(url, handlerId));
    } finally {
      await kill(second.child);
    }
  });
});

/** Numbered 0, 1, 2, ... with no gap and no repeat, asking once and ending with the stop event. */
function assertWhole(frames: readonly Frame[]): void {
  assert.deepEqual(
    frames.map((frame) => frame.id),
    frames.map((_, i) => i),
  );
  const types = frames.map((frame) => frame.data.type);
  assert.equal(types.filter((type) => type === "AskEvent").length, 1);
  assert.deepEqual(
    frames
      .filter((frame) => frame.data.type === "ProgressEvent")
      .map((frame) => frame.data.value.msg),
    ["asking", "got Ada"],
  );
  assert.equal(types.at(-1), "StopEvent");
}
