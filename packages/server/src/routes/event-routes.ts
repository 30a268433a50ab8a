/** `GET /events/{id}` (the event stream) and `POST /events/{id}` (send an event into a run). */
import { WorkflowRuntimeError } from "@stepwise/core";
import type { Hono } from "hono";
import { EventParseError, parseEvent } from "../event-parse.js";
import { streamResponse } from "../event-stream.js";
import { HttpError } from "../http-error.js";
import { queryFlag, readJsonObject } from "../request-body.js";
import type { ServerState } from "../server.js";

const INTEGER = /^\s*[+-]?\d+\s*$/;

/** Adds the event routes to `app`. */
export function eventRoutes(app: Hono, state: ServerState): void {
  const { service } = state;

  app.get("/events/:id", async (c) => {
    const sse = queryFlag(c, "sse", true);
    const includeInternal = queryFlag(c, "include_internal", false);
    const includeQualifiedName = queryFlag(c, "include_qualified_name", true);
    const raw = c.req.query("after_sequence") ?? "now";
    let after: number | null = null;
    if (raw.toLowerCase() !== "now") {
      if (!INTEGER.test(raw)) throw new HttpError(400, `Invalid after_sequence: '${raw}'`);
      after = Number.parseInt(raw, 10);
    }
    // In SSE, an integer Last-Event-ID (a browser's EventSource reconnecting) wins.
    const lastEventId = c.req.header("last-event-id");
    if (sse && lastEventId !== undefined && INTEGER.test(lastEventId)) {
      after = Number.parseInt(lastEventId, 10);
    }
    const found = await service.events(
      c.req.param("id"),
      (name) => state.workflows.get(name)?.workflow,
    );
    if (!found) throw new HttpError(404, "Handler not found");
    const { record, feed } = found;
    if (!feed) {
      if (record.status !== "running") return c.body(null, 204);
      throw new HttpError(404, "Handler has no associated run");
    }
    // "now": what the run has published so far is skipped.
    const cursor = Math.max(-1, after ?? feed.lastSeq);
    if (feed.isEnded && feed.lastSeq <= cursor) return c.body(null, 204);
    return streamResponse(feed, {
      after: cursor,
      sse,
      includeInternal,
      includeQualifiedName,
      heartbeatSeconds: state.heartbeatSeconds,
    });
  });

  app.post("/events/:id", async (c) => {
    const body = await readJsonObject(c, "Error processing request", "Error processing request");
    const data = body.event;
    if (data === undefined || data === null || data === "" || isEmptyObject(data)) {
      throw new HttpError(400, "Event data is required");
    }
    const step = body.step;
    if (step !== undefined && step !== null && typeof step !== "string") {
      throw new HttpError(400, `\`step\` must be the name of a step; got ${typeof step}`);
    }
    const { served, handler } = await service.running(c.req.param("id"));
    let event: ReturnType<typeof parseEvent>;
    try {
      event = parseEvent(data, served.registry);
    } catch (error) {
      if (error instanceof EventParseError) throw new HttpError(400, error.message);
      throw error;
    }
    try {
      handler.sendEvent(event, typeof step === "string" ? { step } : {});
    } catch (error) {
      // A step the workflow has not, or one that does not accept the event: the request's fault.
      if (error instanceof WorkflowRuntimeError) throw new HttpError(400, error.message);
      throw new HttpError(500, `Failed to send event: ${(error as Error).message}`);
    }
    return c.json({ status: "sent" });
  });
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && Object.keys(value).length === 0;
}
