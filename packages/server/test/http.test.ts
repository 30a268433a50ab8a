import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { type RunningServer, serve, serverStats } from "@stepwise/server";
import type { Hono } from "hono";
import { fixtureApp, StreamReader, sseFrames, until } from "./helpers.js";

let app: Hono;
let running: RunningServer;

before(async () => {
  app = fixtureApp();
  running = await serve(app, { port: 0, host: "127.0.0.1" });
});

after(async () => {
  await running.close();
});

async function post(path: string, body: unknown): Promise<any> {
  const response = await fetch(`${running.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

/** Reads raw HTTP/1.1 responses off one socket: headers and the chunks of a chunked body. */
class RawConnection {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  #wake: (() => void) | null = null;

  constructor(port: number) {
    this.#socket = connect(port, "127.0.0.1");
    this.#socket.on("data", (data) => {
      this.#buffer = Buffer.concat([this.#buffer, data]);
      this.#wake?.();
    });
  }

  async #until(test: () => number): Promise<Buffer> {
    for (;;) {
      const end = test();
      if (end >= 0) {
        const taken = this.#buffer.subarray(0, end);
        this.#buffer = this.#buffer.subarray(end);
        return taken;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** Sends a GET and reads the status line, the headers and (chunked) body chunks. */
  async get(path: string): Promise<{ head: string; chunks: string[] }> {
    this.#socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
    const head = (await this.#until(() => this.#find("\r\n\r\n", 4))).toString();
    const chunks: string[] = [];
    if (!/transfer-encoding: chunked/i.test(head)) return { head, chunks };
    for (;;) {
      const sizeLine = (await this.#until(() => this.#find("\r\n", 2))).toString();
      const size = Number.parseInt(sizeLine, 16);
      const data = await this.#until(() => (this.#buffer.length >= size + 2 ? size + 2 : -1));
      if (size === 0) return { head, chunks };
      chunks.push(data.subarray(0, size).toString());
    }
  }

  #find(text: string, extra: number): number {
    const index = this.#buffer.indexOf(text);
    return index < 0 ? -1 : index + extra;
  }

  close(): void {
    this.#socket.destroy();
  }
}

describe("the server over HTTP on 127.0.0.1", () => {
  it("runs a workflow and answers with HandlerData", async () => {
    const reply = await post("/workflows/greet/run", { start_event: { name: "Ada" } });
    assert.equal(reply.status, 200);
    assert.equal(reply.json.result.value.result, "Hello, Ada!");
  });

  it("streams SSE chunked, one chunk per frame, then a clean 204 on the same connection", async () => {
    const started = await post("/workflows/stream/run-nowait", { start_event: { count: 3 } });
    const id = started.json.handler_id;
    const connection = new RawConnection(running.port);
    try {
      const stream = await connection.get(`/events/${id}?sse=true&after_sequence=-1`);
      assert.match(stream.head, /^HTTP\/1\.1 200 OK/);
      assert.match(stream.head, /content-type: text\/event-stream; charset=utf-8/i);
      assert.doesNotMatch(stream.head, /content-length/i);
      assert.deepEqual(
        stream.chunks.map((chunk) => sseFrames(chunk).map((frame) => frame.id)),
        [[1], [2], [3], [5]],
      );
      assert.ok(stream.chunks.every((chunk) => chunk.startsWith("id: ") && chunk.endsWith("\n\n")));
      const done = await connection.get(`/events/${id}?after_sequence=now`);
      assert.match(done.head, /^HTTP\/1\.1 204 No Content/);
      assert.doesNotMatch(done.head, /content-length: [1-9]/i);
      const again = await connection.get("/health");
      assert.match(again.head, /^HTTP\/1\.1 200 OK/, "the connection is still usable");
    } finally {
      connection.close();
    }
  });

  it("streams a human-in-the-loop run to a reader while an answer is posted", async () => {
    const started = await post("/workflows/hitl/run-nowait", {
      start_event: { value: {}, type: "StartEvent", qualified_name: null },
      context: {},
    });
    const id = started.json.handler_id;
    const response = await fetch(`${running.url}/events/${id}?after_sequence=-1`);
    const reader = new StreamReader(response);
    await reader.until("AskEvent");
    const sent = await post(`/events/${id}`, {
      event: { value: { response: "Ada" }, type: "AnswerEvent", qualified_name: null },
    });
    assert.deepEqual(sent.json, { status: "sent" });
    const frames = await reader.rest();
    assert.equal(frames.at(-1)?.data.value.result, "Hello, Ada!");
  });

  it("keeps serving after 200 streams are opened and dropped, and holds none of them", async () => {
    const started = await post("/workflows/slow/run-nowait", {});
    const id = started.json.handler_id;
    const controllers = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const controller = new AbortController();
        const response = await fetch(`${running.url}/events/${id}?after_sequence=-1`, {
          signal: controller.signal,
        });
        assert.equal(response.status, 200);
        return controller;
      }),
    );
    await until(() => serverStats(app).waitingStreams === 200);
    assert.equal(serverStats(app).waitingStreams, 200);
    for (const controller of controllers) controller.abort();
    await until(() => serverStats(app).waitingStreams === 0);
    assert.equal(serverStats(app).waitingStreams, 0);
    const cancelled = await post(`/handlers/${id}/cancel`, {});
    assert.deepEqual(cancelled.json, { status: "cancelled" });
  });

  it("finishes 100 concurrent run-and-wait requests, each with its own result", async () => {
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        post("/workflows/greet/run", { start_event: { name: `n${i}` } }),
      ),
    );
    assert.deepEqual(
      replies.map((reply) => reply.json.result.value.result),
      Array.from({ length: 100 }, (_, i) => `Hello, n${i}!`),
    );
  });
});
