/**
 * Two workflow server processes on one database serve the same handlers: a run started through
 * one is listed, streamed, answered and cancelled through the other.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { RunningServer } from "@stepwise/server";
import type { DbosRuntime } from "../src/index.ts";
import { startServer } from "./fixtures/server-app.ts";
import { freshDatabase, skipPostgres } from "./support/postgres.ts";

const SERVER = fileURLToPath(new URL("./fixtures/server-process.ts", import.meta.url));

async function call(url: string, method = "GET", body?: unknown) {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "content-type": "application/json" };
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, json, text };
}

/** The NDJSON stream of a handler's events until it ends, as envelopes. */
async function stream(url: string, handlerId: string, until?: string): Promise<any[]> {
  const response = await fetch(`${url}/events/${handlerId}?sse=false&after_sequence=-1`);
  assert.equal(response.status, 200);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: any[] = [];
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return events;
    buffered += decoder.decode(value, { stream: true });
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line) {
        const event = JSON.parse(line);
        events.push(event);
        if (until && event.type === until) {
          await reader.cancel();
          return events;
        }
      }
      newline = buffered.indexOf("\n");
    }
  }
}

describe("@stepwise/dbos: two server processes on one database", { skip: skipPostgres }, () => {
  let drop = async () => {};
  let child: ChildProcess;
  let urlA = "";
  let local: { runtime: DbosRuntime; server: RunningServer };
  let urlB = "";

  before(async () => {
    const db = await freshDatabase();
    drop = db.drop;
    child = spawn(process.execPath, ["--conditions=@stepwise/source", "--import", "tsx", SERVER], {
      env: { ...process.env, DATABASE_URL: db.url, EXECUTOR_ID: "server-a" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    urlA = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("\n")) resolve(out.split("\n")[0] as string);
      });
      child.on("exit", (code) => reject(new Error(`server A exited (${code})`)));
    });
    local = await startServer(db.url, "server-b");
    urlB = local.server.url;
  });

  after(async () => {
    child?.kill("SIGKILL");
    if (child && child.exitCode === null) await once(child, "exit");
    await local?.server.close();
    await local?.runtime.shutdown();
    await drop();
  });

  it("lists, streams and answers through one server a run started through the other", async () => {
    const started = await call(`${urlA}/workflows/hitl/run-nowait`, "POST", {});
    assert.equal(started.status, 200, started.text);
    const id: string = started.json.handler_id;
    const seen = await call(`${urlB}/handlers/${id}`);
    assert.equal(seen.status, 202, seen.text);
    assert.equal(seen.json.status, "running");
    const listed = await call(`${urlB}/handlers`);
    assert.ok(listed.json.handlers.some((h: { handler_id: string }) => h.handler_id === id));
    const asked = await stream(urlB, id, "AskEvent");
    assert.equal(asked.at(-1)?.value.prompt, "name?");
    const sent = await call(`${urlB}/events/${id}`, "POST", {
      event: { type: "AnswerEvent", value: { response: "Ada" } },
    });
    assert.equal(sent.status, 200, sent.text);
    let done = await call(`${urlA}/handlers/${id}`);
    for (let i = 0; done.json?.status === "running" && i < 500; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      done = await call(`${urlA}/handlers/${id}`);
    }
    assert.equal(done.json.status, "completed", done.text);
    assert.equal(done.json.result.value.result, "Hello, Ada!");
    const whole = await stream(urlB, id);
    assert.equal(whole.at(-1)?.type, "StopEvent");
  });

  it("cancels through one server a run started through the other", async () => {
    const started = await call(`${urlA}/workflows/hitl/run-nowait`, "POST", {});
    const id: string = started.json.handler_id;
    await stream(urlA, id, "AskEvent");
    const cancelled = await call(`${urlB}/handlers/${id}/cancel`, "POST");
    assert.equal(cancelled.status, 200, cancelled.text);
    let after = await call(`${urlA}/handlers/${id}`);
    for (let i = 0; after.json?.status === "running" && i < 500; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = await call(`${urlA}/handlers/${id}`);
    }
    assert.equal(after.json.status, "cancelled", after.text);
  });
});
