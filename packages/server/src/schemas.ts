/**
 * JSON Schemas of a workflow's events (`GET /workflows/{name}/schema` and `/events`), made from
 * their zod shapes with `z.toJSONSchema`, titled with the event type as pydantic titles them.
 */
import type { EventClass } from "@stepwise/core";
import { z } from "zod";

/**
 * The JSON Schema of what an event class's constructor takes (`io: "input"`, so fields with a
 * default are not required). A class without declared fields is an open object.
 */
export function eventSchema(cls: EventClass): Record<string, unknown> {
  const schema = (cls as { schema?: z.ZodType }).schema;
  if (!schema) return { title: cls.eventType, type: "object", properties: {} };
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  const { $schema: _, ...rest } = json;
  return { title: cls.eventType, ...rest };
}
