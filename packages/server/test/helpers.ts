/** Builders the server tests share: an app serving the fixtures, requests, and SSE parsing. */
import { createServer, type ServerOptions } from "@stepwise/server";
import type { Hono } from "hono";
import { allWorkflows } from "./fixtures/workflows.js";

/** An app serving every fixture workflow, with a short heartbeat. */
export function fixtureApp(options: Partial<ServerOptions> = {}): Hono {
  return createServer({
    workflows: allWorkflows(),
    heartbeatInterval: 0.05,
    debugger: false,
    ...options,
  });
}

/** A response, read whole. */
export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The body as JSON (undefined when it is not JSON). */
  json: any;
}

/** Sends a request to the app (a JSON body when `body` is not a string) and reads the reply. */
export async function call(
  app: Hono,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  const response = await app.request(path, init);
  return read(response);
}

/** Reads a response whole. */
export async function read(response: Response): Promise<Reply> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** One SSE frame: its id and its data parsed as JSON. */
export interface Frame {
  id: number;
  data: any;
}

/** The event frames of an SSE body (comments such as `: heartbeat` are left out). */
export function sseFrames(text: string): Frame[] {
  return text
    .split("\n\n")
    .filter((block) => block.includes("data: "))
    .map((block) => {
      const id = /^id: (\d+)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? "null";
      return { id: Number(id), data: JSON.parse(data) };
    });
}

/** Starts a run with `run-nowait`; resolves to its handler id. */
export async function startRun(app: Hono, workflow: string, startEvent?: unknown): Promise<string> {
  const reply = await call(
    app,
    "POST",
    `/workflows/${workflow}/run-nowait`,
    startEvent === undefined ? {} : { start_event: startEvent },
  );
  if (reply.status !== 200)
    throw new Error(`run-nowait ${workflow}: ${reply.status} ${reply.text}`);
  return reply.json.handler_id;
}

/**
 * Polls `condition` every few milliseconds until it holds or `ms` have passed (a deadline, not a
 * count of polls: a loaded machine takes longer, and the caller's assertion says what failed).
 */
export async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Polls `GET /handlers/{id}` until the handler is no longer running, for up to `ms`. */
export async function waitForEnd(app: Hono, handlerId: string, ms = 10_000): Promise<Reply> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    const reply = await call(app, "GET", `/handlers/${handlerId}`);
    if (reply.json?.status !== "running") return reply;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`handler ${handlerId} did not end`);
}

/** Reads an SSE or NDJSON body piece by piece: the next frame, heartbeat or end. */
export class StreamReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  readonly #separator: string;
  #buffer = "";
  /** Every chunk as it came. */
  readonly chunks: string[] = [];

  constructor(response: Response, sse = true) {
    if (!response.body) throw new Error(`no body (status ${response.status})`);
    this.#reader = response.body.getReader();
    this.#separator = sse ? "\n\n" : "\n";
  }

  /** The next block (an SSE frame or comment, or an NDJSON line), or null at the end. */
  async next(): Promise<string | null> {
    while (!this.#buffer.includes(this.#separator)) {
      const { done, value } = await this.#reader.read();
      if (done) return null;
      const text = this.#decoder.decode(value, { stream: true });
      this.chunks.push(text);
      this.#buffer += text;
    }
    const end = this.#buffer.indexOf(this.#separator);
    const block = this.#buffer.slice(0, end);
    this.#buffer = this.#buffer.slice(end + this.#separator.length);
    return block;
  }

  /** The next event frame (heartbeats skipped), parsed; null at the end. */
  async nextFrame(): Promise<Frame | null> {
    for (;;) {
      const block = await this.next();
      if (block === null) return null;
      const [frame] = sseFrames(`${block}\n\n`);
      if (frame) return frame;
    }
  }

  /** Reads frames until one whose type is `type`; returns it. */
  async until(type: string): Promise<Frame> {
    for (;;) {
      const frame = await this.nextFrame();
      if (frame === null) throw new Error(`the stream ended before a ${type}`);
      if (frame.data.type === type) return frame;
    }
  }

  /** Every remaining frame, until the end. */
  async rest(): Promise<Frame[]> {
    const frames: Frame[] = [];
    for (let frame = await this.nextFrame(); frame; frame = await this.nextFrame()) {
      frames.push(frame);
    }
    return frames;
  }

  cancel(): Promise<void> {
    return this.#reader.cancel();
  }
}

/** Opens `GET /events/{id}` on the app with the given query and headers. */
export async function openStream(
  app: Hono,
  handlerId: string,
  query = "",
  headers: Record<string, string> = {},
): Promise<Response> {
  return app.request(`/events/${handlerId}${query ? `?${query}` : ""}`, { headers });
}

/** Answers the hitl fixture's question. */
export function answer(app: Hono, handlerId: string, response = "Ada"): Promise<Reply> {
  return call(app, "POST", `/events/${handlerId}`, {
    event: { value: { response }, type: "AnswerEvent", qualified_name: null },
  });
}
