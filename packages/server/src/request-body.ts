/** Reading request bodies and query parameters, with the Python server's error details. */
import type { Context } from "hono";
import { isPlainObject } from "./event-parse.js";
import { HttpError } from "./http-error.js";

/**
 * The request's JSON body, which must be an object.
 * @param prefix how `detail` begins for a body that is not JSON (`Invalid JSON body`).
 * @throws {@link HttpError} 400 naming what was wrong.
 */
export async function readJsonObject(
  c: Context,
  prefix: string,
  notObjectPrefix: string,
): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const reason = text.trim() === "" ? "the body is empty" : (error as Error).message;
    throw new HttpError(400, `${prefix}: ${reason}`);
  }
  if (!isPlainObject(body)) {
    const kind = body === null ? "null" : Array.isArray(body) ? "an array" : typeof body;
    throw new HttpError(400, `${notObjectPrefix}: expected a JSON object, got ${kind}`);
  }
  return body;
}

/** A boolean query parameter: only `true` (any case) is true, as in the Python server. */
export function queryFlag(c: Context, name: string, fallback: boolean): boolean {
  const value = c.req.query(name);
  if (value === undefined) return fallback;
  return value.toLowerCase() === "true";
}

/**
 * A repeatable query parameter (`?status=a&status=b`); blank values are dropped, and no value
 * left means no filter (undefined).
 */
export function queryList(c: Context, name: string): string[] | undefined {
  const values = (c.req.queries(name) ?? []).map((value) => value.trim()).filter(Boolean);
  return values.length > 0 ? values : undefined;
}
