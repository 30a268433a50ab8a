/**
 * Turns an event's JSON Schema (as zod's `toJSONSchema` writes it) into rows for the details
 * panel. Only the parts a reader needs: name, type, required, default, description.
 */
import type { FieldRow } from "./scene.js";

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema | JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  $ref?: string;
  default?: unknown;
  description?: string;
  additionalProperties?: boolean | JsonSchema;
  format?: string;
};

/** The fields of an event schema, and whether it also takes fields it does not declare. */
export interface SchemaSummary {
  fields: FieldRow[];
  acceptsUndeclaredFields: boolean;
}

/** Reads the top-level properties of an object schema; an unreadable schema yields no fields. */
export function summarizeSchema(schema: unknown): SchemaSummary {
  if (schema === null || typeof schema !== "object") {
    return { fields: [], acceptsUndeclaredFields: false };
  }
  const object = schema as JsonSchema;
  const required = new Set(object.required ?? []);
  const fields = Object.entries(object.properties ?? {}).map(([name, property]): FieldRow => {
    const row: FieldRow = { name, type: describeType(property), required: required.has(name) };
    if (property.default !== undefined) row.defaultValue = JSON.stringify(property.default);
    if (property.description) row.description = property.description;
    return row;
  });
  const extra = object.additionalProperties;
  const acceptsUndeclaredFields =
    extra === true ||
    (typeof extra === "object" && extra !== null && Object.keys(extra).length === 0);
  return { fields, acceptsUndeclaredFields };
}

function describeType(schema: JsonSchema | undefined, depth = 0): string {
  if (schema === undefined || depth > 4) return "unknown";
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(" | ");
  if (schema.$ref) return schema.$ref.split("/").pop() ?? schema.$ref;
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return union.map((member) => describeType(member, depth + 1)).join(" | ");
  if (schema.allOf)
    return schema.allOf.map((member) => describeType(member, depth + 1)).join(" & ");
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length === 0) return "any";
  return types
    .map((type) => {
      if (type === "array") {
        const items = Array.isArray(schema.items) ? undefined : schema.items;
        const inner = describeType(items, depth + 1);
        return inner.includes(" ") ? `(${inner})[]` : `${inner}[]`;
      }
      if (type === "integer") return "integer";
      if (type === "string" && schema.format) return `string (${schema.format})`;
      return type;
    })
    .join(" | ");
}
