/** Handler routes: `/handlers` (with filters), `/handlers/{id}`, cancel, and `/results/{id}`. */
import type { Hono } from "hono";
import { handlerData, handlerStatusCode } from "../handler-data.js";
import { HANDLER_STATUSES, type HandlerStatus } from "../handler-store.js";
import { HttpError } from "../http-error.js";
import { queryFlag, queryList } from "../request-body.js";
import type { ServerState } from "../server.js";

/** Adds the handler routes to `app`. */
export function handlerRoutes(app: Hono, state: ServerState): void {
  const { service } = state;

  app.get("/handlers", async (c) => {
    const statuses = queryList(c, "status");
    // Unknown statuses select nothing (an empty list), as the Python server does.
    const status = statuses?.filter((value): value is HandlerStatus =>
      HANDLER_STATUSES.includes(value as HandlerStatus),
    );
    const workflowName = queryList(c, "workflow_name");
    const records = await service.list({
      ...(status ? { status } : {}),
      ...(workflowName ? { workflowName } : {}),
    });
    return c.json({ handlers: records.map(handlerData) });
  });

  const load = async (handlerId: string) => {
    const record = await service.get(handlerId);
    if (!record) throw new HttpError(404, "Handler not found");
    return record;
  };

  app.get("/handlers/:id", async (c) => {
    const record = await load(c.req.param("id"));
    return c.json(handlerData(record), handlerStatusCode(record.status));
  });

  app.post("/handlers/:id/cancel", async (c) => {
    const done = await service.cancel(c.req.param("id"), queryFlag(c, "purge", false));
    if (done === null) throw new HttpError(404, "Handler not found");
    return c.json({ status: done });
  });

  // Deprecated upstream, kept for old clients: `result` is unwrapped.
  app.get("/results/:id", async (c) => {
    const record = await load(c.req.param("id"));
    const data = handlerData(record);
    const result = record.result;
    const unwrapped =
      result === null
        ? null
        : result.qualified_name === "workflows.events.StopEvent"
          ? (result.value.result ?? null)
          : result.value;
    return c.json({ ...data, result: unwrapped }, handlerStatusCode(record.status));
  });
}
