/**
 * Workflow routes: `/health`, `/workflows`, and `/workflows/{name}/...` (run, run-nowait,
 * schema, events, representation, draw).
 */
import {
  Context,
  type Event,
  EventValidationError,
  SnapshotError,
  WorkflowRuntimeError,
} from "@stepwise/core";
import type { Hono, Context as HonoContext } from "hono";
import { drawingOf } from "../drawing.js";
import { EventParseError, isPlainObject, parseEvent } from "../event-parse.js";
import { handlerData } from "../handler-data.js";
import type { ServedWorkflow } from "../handler-service.js";
import { errorText, HttpError } from "../http-error.js";
import { representWorkflow } from "../representation.js";
import { readJsonObject } from "../request-body.js";
import { eventSchema } from "../schemas.js";
import type { ServerState } from "../server.js";

/** Adds the workflow routes to `app`. */
export function workflowRoutes(app: Hono, state: ServerState): void {
  const workflow = (c: HonoContext, detail = "Workflow not found"): ServedWorkflow => {
    const served = state.workflows.get(c.req.param("name") ?? "");
    if (!served) throw new HttpError(404, detail);
    return served;
  };

  app.get("/health", (c) =>
    state.isReady ? c.json({ status: "healthy" }) : c.json({ status: "unhealthy" }, 503),
  );

  app.get("/workflows", (c) => c.json({ workflows: [...state.workflows.keys()] }));

  app.get("/workflows/:name/schema", (c) => {
    const { workflow: wf } = workflow(c);
    return c.json({ start: eventSchema(wf.startEventClass), stop: eventSchema(wf.stopEventClass) });
  });

  app.get("/workflows/:name/events", (c) => {
    const served = workflow(c, `Workflow '${c.req.param("name")}' not found`);
    return c.json({ events: [...served.registry.values()].map((cls) => eventSchema(cls)) });
  });

  app.get("/workflows/:name/representation", (c) =>
    c.json({ graph: representWorkflow(workflow(c).workflow) }),
  );

  // Not in the Python server: stepwise's own drawing, a page with no outside requests.
  app.get("/workflows/:name/draw", async (c) => c.html(await drawingOf(workflow(c).workflow)));

  const start = async (c: HonoContext) => {
    const served = workflow(c);
    const body = await readJsonObject(c, "Invalid JSON body", "Error processing request body");
    const ctx = readContext(state, served, body.context);
    const startEvent = readStartEvent(served, body, ctx !== undefined);
    const handlerId = readHandlerId(body.handler_id);
    try {
      const run = () => state.service.start(served, startEvent, handlerId, ctx);
      return await (state.runContext ? state.runContext(c.req.raw, run) : run());
    } catch (error) {
      if (error instanceof HttpError) throw error;
      if (error instanceof EventValidationError) {
        throw new HttpError(400, `Validation error for 'start_event': ${error.message}`);
      }
      if (ctx && error instanceof WorkflowRuntimeError) {
        throw new HttpError(400, `Invalid context: ${error.message}`);
      }
      throw new HttpError(500, `Error running workflow: ${errorText(error)}`, { cause: error });
    }
  };

  app.post("/workflows/:name/run-nowait", async (c) => c.json(handlerData(await start(c))));

  app.post("/workflows/:name/run", async (c) => {
    const started = await start(c);
    const ended = (await state.service.wait(started.handlerId)) ?? started;
    return c.json(handlerData(ended), ended.status === "completed" ? 200 : 500);
  });
}

/** The run's start event: `start_event` (bare fields or an envelope), else `kwargs`. */
function readStartEvent(
  served: ServedWorkflow,
  body: Record<string, unknown>,
  hasContext: boolean,
): Event | null {
  const data = "start_event" in body ? body.start_event : (body.kwargs ?? (hasContext ? null : {}));
  if (data === null || data === undefined) return hasContext ? null : startWith(served, {});
  return startWith(served, data);
}

function startWith(served: ServedWorkflow, data: unknown): Event {
  const startClass = served.workflow.startEventClass;
  let event: Event;
  try {
    event = parseEvent(data, served.registry, { bareAs: startClass });
  } catch (error) {
    if (error instanceof EventParseError) {
      throw new HttpError(400, `Validation error for 'start_event': ${error.message}`);
    }
    throw error;
  }
  if (event.constructor !== startClass) {
    throw new HttpError(400, `Start event must be an instance of ${startClass.eventType}`);
  }
  return event;
}

function readHandlerId(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string" || value.length > 256) {
    throw new HttpError(
      400,
      `Error processing request body: \`handler_id\` must be a string of at most 256 characters; got ${typeof value === "string" ? `${value.length} characters` : typeof value}`,
    );
  }
  return value;
}

/** A `context` in a run request: refused unless enabled; an empty one is no context. */
function readContext(
  state: ServerState,
  served: ServedWorkflow,
  value: unknown,
): Context | undefined {
  if (isEmpty(value)) return undefined;
  if (!state.acceptContextApi) {
    throw new HttpError(
      400,
      "Context API is disabled. Set `acceptContextApi: true` in the options of createServer() to enable it.",
    );
  }
  try {
    return Context.fromJSON(served.workflow, value);
  } catch (error) {
    if (error instanceof SnapshotError) {
      throw new HttpError(400, `Invalid context: ${error.message}`);
    }
    throw error;
  }
}

/** Python's falsiness, as the Python server tests `if context_data:`. */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === "") {
    return true;
  }
  if (Array.isArray(value)) return value.length === 0;
  return isPlainObject(value) && Object.keys(value).length === 0;
}
