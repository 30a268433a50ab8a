/**
 * `WorkflowClient`: a typed client of the LlamaIndex workflow server's protocol, for a stepwise
 * server or a Python one. `fetch` only; Node 20+ and browsers.
 */
import { StreamDisconnectedError, WorkflowServerError } from "./errors.js";
import {
  type DecodedEvent,
  decodeEnvelope,
  type EventClassLike,
  type EventInput,
  encodeEvent,
} from "./events.js";
import type {
  EventEnvelope,
  HandlerData,
  HandlerStatus,
  JsonSchema,
  WorkflowGraph,
} from "./protocol.js";
import { readSse } from "./sse.js";

/** Options of {@link WorkflowClient}. */
export interface WorkflowClientOptions<TClasses extends readonly EventClassLike[]> {
  /** The server's address, e.g. `http://127.0.0.1:4501`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent with every request. */
  headers?: Readonly<Record<string, string>>;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Event classes: streamed events of these types come back as instances too. */
  events?: TClasses;
  /** How a dropped event stream is resumed. */
  reconnect?: {
    /** Tries in a row without receiving an event before giving up. @default 3 */
    attempts?: number;
    /** Milliseconds between tries. @default 250 */
    delayMs?: number;
  };
}

/** Options of {@link WorkflowClient.run} and {@link WorkflowClient.runNowait}. */
export interface RunOptions {
  /** The handler id to use; an ended handler's id starts a new run under it. */
  handlerId?: string;
  signal?: AbortSignal;
}

/** Options of {@link WorkflowClient.streamEvents}. */
export interface StreamEventsOptions {
  /** Events after this sequence number; -1 for all of them. @default -1 */
  after?: number;
  /** Also `StepStateChanged`, `WorkflowIdleEvent` and `UnhandledEvent`. @default false */
  includeInternal?: boolean;
  /** Aborting it ends the iteration. */
  signal?: AbortSignal;
}

/** One streamed event, with its sequence number in the run. */
export interface StreamedEvent<TEvent = never> extends DecodedEvent<TEvent> {
  readonly seq: number;
}

/** Filters of {@link WorkflowClient.handlers}. */
export interface HandlersFilter {
  status?: HandlerStatus | readonly HandlerStatus[];
  workflowName?: string | readonly string[];
}

/** Start-event input: an event instance, or the start event's fields. */
export type StartInput = EventInput | Record<string, unknown>;

/**
 * A client of a workflow server.
 *
 * @example
 * const client = new WorkflowClient({ baseUrl: "http://127.0.0.1:4501", events: [AskEvent] });
 * const { handler_id } = await client.runNowait("hitl");
 * for await (const ev of client.streamEvents(handler_id)) {
 *   if (ev.event instanceof AskEvent) await client.sendEvent(handler_id, new AnswerEvent({ response: "Ada" }));
 * }
 */
export class WorkflowClient<TClasses extends readonly EventClassLike[] = readonly []> {
  readonly #base: string;
  readonly #headers: Record<string, string>;
  readonly #fetch: typeof fetch;
  readonly #classes: ReadonlyMap<string, EventClassLike>;
  readonly #attempts: number;
  readonly #delayMs: number;

  constructor(options: WorkflowClientOptions<TClasses>) {
    if (typeof options?.baseUrl !== "string" || !/^https?:\/\//.test(options.baseUrl)) {
      throw new TypeError(
        `\`baseUrl\` must be an http(s) URL such as "http://127.0.0.1:4501"; got ${JSON.stringify(options?.baseUrl)}.`,
      );
    }
    this.#base = options.baseUrl.replace(/\/+$/, "");
    this.#headers = { ...options.headers };
    if (options.token !== undefined) this.#headers.authorization = `Bearer ${options.token}`;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#classes = new Map((options.events ?? []).map((cls) => [cls.eventType, cls]));
    this.#attempts = options.reconnect?.attempts ?? 3;
    this.#delayMs = options.reconnect?.delayMs ?? 250;
  }

  /** Whether the server answers `GET /health` with 200. */
  async isHealthy(): Promise<boolean> {
    try {
      const response = await this.#send("GET", "/health");
      await response.body?.cancel();
      return response.status === 200;
    } catch {
      return false;
    }
  }

  /** The names of the served workflows. */
  async workflows(): Promise<string[]> {
    return ((await this.#json("GET", "/workflows")) as { workflows: string[] }).workflows;
  }

  /** The JSON Schemas of a workflow's start and stop events. */
  async schema(workflow: string): Promise<{ start: JsonSchema; stop: JsonSchema }> {
    return (await this.#json("GET", `/workflows/${enc(workflow)}/schema`)) as {
      start: JsonSchema;
      stop: JsonSchema;
    };
  }

  /** The JSON Schemas of every event a workflow knows. */
  async eventSchemas(workflow: string): Promise<JsonSchema[]> {
    return (
      (await this.#json("GET", `/workflows/${enc(workflow)}/events`)) as {
        events: JsonSchema[];
      }
    ).events;
  }

  /** A workflow's graph of steps and events. */
  async graph(workflow: string): Promise<WorkflowGraph> {
    return (
      (await this.#json("GET", `/workflows/${enc(workflow)}/representation`)) as {
        graph: WorkflowGraph;
      }
    ).graph;
  }

  /**
   * A stepwise server's HTML drawing of a workflow (`GET /workflows/{name}/draw`): a
   * self-contained page of its steps and events, as `stepwise draw` writes it. Python servers
   * have no such route (404).
   * @throws {@link WorkflowServerError} 404 for an unknown workflow.
   */
  async drawing(workflow: string): Promise<string> {
    const path = `/workflows/${enc(workflow)}/draw`;
    const response = await this.#send("GET", path, undefined, undefined, { accept: "text/html" });
    if (!response.ok) throw await serverError(response, `GET ${path}`);
    return response.text();
  }

  /**
   * Runs a workflow and waits for it to end. Resolves to the handler whatever the run's outcome
   * (`status` says: `completed`, `failed` with `error`, `cancelled`).
   * @throws {@link WorkflowServerError} when the server refuses the run (unknown workflow, bad input).
   */
  async run(workflow: string, input?: StartInput, options: RunOptions = {}): Promise<HandlerData> {
    return this.#start("run", workflow, input, options);
  }

  /** Starts a run; resolves to its handler (`status: "running"`) at once. */
  async runNowait(
    workflow: string,
    input?: StartInput,
    options: RunOptions = {},
  ): Promise<HandlerData> {
    return this.#start("run-nowait", workflow, input, options);
  }

  async #start(
    route: string,
    workflow: string,
    input: StartInput | undefined,
    options: RunOptions,
  ): Promise<HandlerData> {
    const body: Record<string, unknown> = {
      start_event: await this.#startEvent(workflow, input),
    };
    if (options.handlerId !== undefined) body.handler_id = options.handlerId;
    const path = `/workflows/${enc(workflow)}/${route}`;
    const response = await this.#send("POST", path, body, options.signal);
    return this.#handlerData(response, `POST ${path}`);
  }

  /**
   * A start event on the wire. Plain fields go bare, except fields that would read as an
   * envelope (a `value` key, or `type` with `qualified_name`): those are wrapped in one, with the
   * start event's type from the workflow's schema.
   */
  async #startEvent(workflow: string, input: StartInput | undefined): Promise<unknown> {
    if (input === undefined) return {};
    if (typeof (input as { toJSON?: unknown }).toJSON === "function") {
      return encodeEvent(input as EventInput);
    }
    const fields = input as Record<string, unknown>;
    if (!("value" in fields) && !("type" in fields && "qualified_name" in fields)) return fields;
    const { start } = await this.schema(workflow);
    return { type: start.title, value: fields };
  }

  /** Every handler the server has, optionally filtered. */
  async handlers(filter: HandlersFilter = {}): Promise<HandlerData[]> {
    const query = new URLSearchParams();
    for (const status of list(filter.status)) query.append("status", status);
    for (const name of list(filter.workflowName)) query.append("workflow_name", name);
    const text = query.toString();
    const path = `/handlers${text ? `?${text}` : ""}`;
    return ((await this.#json("GET", path)) as { handlers: HandlerData[] }).handlers;
  }

  /**
   * One handler (running, completed, failed or cancelled).
   * @throws {@link WorkflowServerError} 404 for an unknown handler.
   */
  async handler(handlerId: string): Promise<HandlerData> {
    const path = `/handlers/${enc(handlerId)}`;
    return this.#handlerData(await this.#send("GET", path), `GET ${path}`);
  }

  /**
   * Sends an event into a running handler's run, to every step that accepts it or to `step`.
   * @throws {@link WorkflowServerError} 404 for an unknown handler, 409 when its run has ended,
   * 400 for an event the workflow does not know.
   */
  async sendEvent(
    handlerId: string,
    event: EventInput,
    options: { step?: string } = {},
  ): Promise<void> {
    const body: Record<string, unknown> = { event: encodeEvent(event) };
    if (options.step !== undefined) body.step = options.step;
    await this.#json("POST", `/events/${enc(handlerId)}`, body);
  }

  /**
   * Cancels a running handler; with `purge`, also deletes it (running or ended).
   * @throws {@link WorkflowServerError} 404 for an unknown handler, or one that has ended (without `purge`).
   */
  async cancel(
    handlerId: string,
    options: { purge?: boolean } = {},
  ): Promise<"cancelled" | "deleted"> {
    const path = `/handlers/${enc(handlerId)}/cancel?purge=${options.purge === true}`;
    return ((await this.#json("POST", path)) as { status: "cancelled" | "deleted" }).status;
  }

  /** Reads an event the server sent (a handler's `result`, say) as the stream does. */
  decode(envelope: EventEnvelope): DecodedEvent<InstanceType<TClasses[number]>> {
    return decodeEnvelope(envelope, this.#classes);
  }

  /**
   * A run's events, from after `after` (default: from its start) to its terminal event. When the
   * connection drops, it reconnects from the last sequence number it received, so nothing is
   * missed or repeated. Ends at once for a handler that has ended with nothing left to read.
   * @throws {@link WorkflowServerError} 404 for an unknown handler;
   * {@link StreamDisconnectedError} when it cannot reconnect.
   */
  async *streamEvents(
    handlerId: string,
    options: StreamEventsOptions = {},
  ): AsyncGenerator<StreamedEvent<InstanceType<TClasses[number]>>> {
    let after = options.after ?? -1;
    let failures = 0;
    const internal = options.includeInternal === true;
    for (;;) {
      const path = `/events/${enc(handlerId)}?sse=true&include_internal=${internal}&after_sequence=${after}`;
      let response: Response | null = null;
      let cause: unknown;
      try {
        response = await this.#send("GET", path, undefined, options.signal, {
          accept: "text/event-stream",
        });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        cause = error;
      }
      if (response) {
        if (response.status === 204) return;
        if (!response.ok || !response.body) throw await serverError(response, `GET ${path}`);
        let isDone = false;
        try {
          for await (const frame of readSse(response.body)) {
            const event = decodeEnvelope<InstanceType<TClasses[number]>>(
              JSON.parse(frame.data) as EventEnvelope,
              this.#classes,
            );
            const seq = frame.id === undefined ? after + 1 : Number(frame.id);
            after = seq;
            failures = 0;
            yield { ...event, seq };
            if (event.isStop) {
              isDone = true;
              return;
            }
          }
        } catch (error) {
          if (isDone || options.signal?.aborted) throw error;
          if (!(error instanceof TypeError) && !isNetworkError(error)) throw error;
          cause = error;
        }
      }
      // The stream ended or dropped before the run's terminal event: resume after `after`.
      failures++;
      if (failures > this.#attempts) {
        throw new StreamDisconnectedError(handlerId, after, failures - 1, { cause });
      }
      await delay(this.#delayMs, options.signal);
    }
  }

  async #json(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await this.#send(method, path, body);
    if (!response.ok) throw await serverError(response, `${method} ${path}`);
    return response.json();
  }

  /** A handler from a response: the server sends HandlerData with 200, 202 and (ended badly) 500. */
  async #handlerData(response: Response, request: string): Promise<HandlerData> {
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if ([200, 202, 500].includes(response.status) && isHandlerData(body)) return body;
    throw errorFrom(response.status, body, text, request);
  }

  #send(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
    extra: Record<string, string> = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...this.#headers, ...extra };
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (signal) init.signal = signal;
    return this.#fetch(`${this.#base}${path}`, init);
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function list<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

function isHandlerData(value: unknown): value is HandlerData {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as HandlerData).handler_id === "string" &&
    typeof (value as HandlerData).status === "string"
  );
}

async function serverError(response: Response, request: string): Promise<WorkflowServerError> {
  const text = await response.text().catch(() => "");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return errorFrom(response.status, body, text, request);
}

function errorFrom(
  status: number,
  body: unknown,
  text: string,
  request: string,
): WorkflowServerError {
  const detail = (body as { detail?: unknown } | undefined)?.detail;
  return new WorkflowServerError(
    status,
    typeof detail === "string" ? detail : text || `status ${status}`,
    request,
  );
}

/** Errors a dropped connection gives while a body is read (undici's `terminated`, resets). */
function isNetworkError(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === "AbortError" ||
      /terminated|network|socket|ECONNRESET|other side closed/i.test(error.message))
  );
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
