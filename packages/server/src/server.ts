/**
 * `createServer()`: a Hono app that serves workflows with the LlamaIndex workflow server's
 * protocol. Routes live in `routes/`, the event stream's framing in `event-stream.ts`, the
 * debugger page in `debugger-ui.ts`; this file wires them and holds the options.
 */
import { type EventClass, type Runtime, Workflow } from "@stepwise/core";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { methodNotAllowed } from "hono/method-not-allowed";
import { bearerAuthMiddleware } from "./auth.js";
import { type DebuggerOptions, debuggerRoutes } from "./debugger-ui.js";
import { HandlerService, type ServedWorkflow } from "./handler-service.js";
import { type HandlerStore, MemoryHandlerStore } from "./handler-store.js";
import { detailResponse, errorText, HttpError } from "./http-error.js";
import { idleReleaseOf } from "./idle-release.js";
import { recoverRuns } from "./recovery.js";
import { eventRoutes } from "./routes/event-routes.js";
import { handlerRoutes } from "./routes/handler-routes.js";
import { workflowRoutes } from "./routes/workflow-routes.js";

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** The workflows to serve, by the name clients use (`/workflows/{name}/run`). */
  workflows: Readonly<Record<string, Workflow>>;
  /**
   * Where every served run executes, and where unfinished runs are recovered from when the
   * server starts (a durable runtime resumes them). @default each workflow's own runtime
   */
  runtime?: Runtime;
  /** Where handler records are kept. @default in memory ({@link MemoryHandlerStore}) */
  store?: HandlerStore;
  /**
   * With a token, every route but `/health` and the debugger's page requires
   * `Authorization: Bearer <token>` (401 otherwise). @default no token
   */
  token?: string;
  /** Origins allowed to call from a browser (CORS). @default none: CORS is off */
  corsOrigins?: "*" | readonly string[];
  /** The largest request body accepted, in bytes (413 beyond it). @default 1 MiB */
  maxBodyBytes?: number;
  /** Seconds without an event before an SSE stream sends `: heartbeat`. @default 25 */
  heartbeatInterval?: number;
  /**
   * Seconds a run may wait idle (for a human's answer, say), with no stream and no `/run`
   * request waiting on it, before it is released from memory; an event sent to it, a stream of
   * it, a cancel or its next timer rebuilds it from its journal, with its whole stream. Needs a
   * `runtime` that can release runs (`SqliteRuntime` of @stepwise/sqlite), on whose clock the
   * seconds are counted. @default none: runs stay in memory until they end
   */
  idleTimeout?: number;
  /** Event classes a request may send to a workflow besides those of its steps, by workflow name. */
  additionalEvents?: Readonly<Record<string, readonly EventClass[]>>;
  /**
   * Accept a `context` (a stepwise snapshot, `handler.ctx.toJSON()`) in run requests; the run
   * resumes on the server's `runtime` when there is one. @default false
   */
  acceptContextApi?: boolean;
  /**
   * The LlamaIndex workflow debugger at `GET /` (from `@llamaindex/workflow-debugger`, when it
   * is installed, or a folder holding its `app.js` and `app.css`); false for none.
   * @default true
   */
  debugger?: boolean | DebuggerOptions;
  /**
   * Starts each run a request asks for inside a context of its own: call `start` once and
   * return what it returns. `@stepwise/otel`'s `continueTrace` runs it in the trace context of
   * the request's `traceparent` header, so that the run's span continues the caller's trace.
   * @default none
   */
  runContext?: <T>(request: Request, start: () => T) => T;
  /** Milliseconds since the epoch, for handler timestamps. @default Date.now */
  now?: () => number;
  /** Where failures that no request awaits are reported (a store write at a run's end). @default console.error */
  onError?: (message: string, error: unknown) => void;
}

/** What routes share. */
export interface ServerState {
  readonly workflows: ReadonlyMap<string, ServedWorkflow>;
  readonly service: HandlerService;
  readonly heartbeatSeconds: number | null;
  readonly acceptContextApi: boolean;
  /** {@link ServerOptions.runContext}, or null. */
  readonly runContext: (<T>(request: Request, start: () => T) => T) | null;
  /** Settles once unfinished runs have been recovered (at once without a runtime). */
  ready: Promise<void>;
  isReady: boolean;
}

const DEFAULT_MAX_BODY = 1024 * 1024;

const states = new WeakMap<Hono, ServerState>();

/** What a server holds right now, for metrics and for tests of dropped connections. */
export interface ServerStats {
  /** Runs of this process the server follows (running or ended, until purged). */
  readonly runsInMemory: number;
  /** Event streams waiting for a run's next event. */
  readonly waitingStreams: number;
}

/**
 * What the app made by {@link createServer} holds right now.
 * @throws `TypeError` for any other app.
 */
export function serverStats(app: Hono): ServerStats {
  const state = states.get(app);
  if (!state) throw new TypeError("`serverStats()` takes an app made by `createServer()`.");
  return { runsInMemory: state.service.runsInMemory, waitingStreams: state.service.waitingStreams };
}

/**
 * Makes the Hono app that serves `workflows`. Mount it in your own Hono app, hand its `fetch`
 * to any fetch-based host, or listen with {@link serve}.
 *
 * @example
 * import { createServer, serve } from "@stepwise/server";
 * const app = createServer({ workflows: { greet: new GreetFlow() } });
 * serve(app, { port: 4501 });
 * @throws {@link WorkflowValidationError} when a workflow's graph is invalid;
 * `TypeError` for options that cannot work.
 */
export function createServer(options: ServerOptions): Hono {
  const workflows = servedWorkflows(options);
  const report =
    options.onError ?? ((message, error) => console.error(`stepwise server: ${message}`, error));
  const service = new HandlerService({
    store: options.store ?? new MemoryHandlerStore(),
    runtime: options.runtime ?? null,
    now: options.now ?? Date.now,
    report,
    workflows,
    idle: idleReleaseOf(options.idleTimeout, options.runtime),
  });
  const heartbeat = options.heartbeatInterval ?? 25;
  const state: ServerState = {
    workflows,
    service,
    heartbeatSeconds: heartbeat > 0 ? heartbeat : null,
    acceptContextApi: options.acceptContextApi === true,
    runContext: options.runContext ?? null,
    ready: Promise.resolve(),
    isReady: true,
  };
  if (options.runtime) {
    state.isReady = false;
    state.ready = recoverRuns(options.runtime, state).then(() => {
      state.isReady = true;
    });
    state.ready.catch((error: unknown) =>
      report("could not recover the runtime's unfinished runs; requests answer 500", error),
    );
  }

  const app = new Hono();
  states.set(app, state);
  app.onError((error) => {
    if (error instanceof HttpError) return detailResponse(error.status, error.detail);
    return detailResponse(500, `Internal server error: ${errorText(error)}`);
  });
  app.notFound(() => detailResponse(404, "Not Found"));
  if (options.corsOrigins !== undefined) {
    const origins = options.corsOrigins;
    app.use(
      "*",
      cors({
        origin: origins === "*" ? (origin) => origin : [...origins],
        credentials: true,
        maxAge: 600,
      }),
    );
  }
  if (options.token !== undefined) app.use("*", bearerAuthMiddleware(options.token));
  const maxSize = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  app.use(
    "*",
    bodyLimit({
      maxSize,
      onError: () => detailResponse(413, `Request body is larger than ${maxSize} bytes`),
    }),
  );
  app.use("*", async (c, next) => {
    // Requests wait for recovery, so that no handler is answered for before it is back.
    if (!state.isReady && c.req.path !== "/health") {
      await state.ready.catch((error: unknown) => {
        throw new HttpError(500, `Recovering unfinished runs failed: ${errorText(error)}`);
      });
    }
    await next();
  });
  app.use(
    "*",
    methodNotAllowed({
      app,
      onMethodNotAllowed: (_c, methods) => {
        const response = detailResponse(405, "Method Not Allowed");
        response.headers.set("Allow", methods.join(", "));
        return response;
      },
    }),
  );
  workflowRoutes(app, state);
  handlerRoutes(app, state);
  eventRoutes(app, state);
  if (options.debugger !== false) {
    debuggerRoutes(
      app,
      options.debugger === true || options.debugger === undefined ? {} : options.debugger,
    );
  }
  return app;
}

function servedWorkflows(options: ServerOptions): Map<string, ServedWorkflow> {
  if (typeof options !== "object" || options === null || typeof options.workflows !== "object") {
    throw new TypeError(
      "`createServer()` takes `{ workflows: { name: workflow, ... } }`; got no `workflows`.",
    );
  }
  const served = new Map<string, ServedWorkflow>();
  for (const [name, workflow] of Object.entries(options.workflows)) {
    if (!(workflow instanceof Workflow)) {
      throw new TypeError(
        `\`workflows.${name}\` of \`createServer()\` must be a Workflow instance (e.g. \`new ${name[0]?.toUpperCase() ?? ""}${name.slice(1)}Flow()\`); got ${typeof workflow === "function" ? "a class or function: instantiate it" : typeof workflow}.`,
      );
    }
    if (name === "" || name.includes("/")) {
      throw new TypeError(
        `Workflow names are path segments: \`${name}\` must be non-empty and contain no \`/\`.`,
      );
    }
    // Fail now rather than on the first request: a served workflow must be runnable.
    workflow.validate();
    const registry = new Map<string, EventClass>();
    for (const cls of [...workflow.events, ...(options.additionalEvents?.[name] ?? [])]) {
      registry.set(cls.eventType, cls);
    }
    served.set(name, { name, workflow, registry });
  }
  return served;
}
