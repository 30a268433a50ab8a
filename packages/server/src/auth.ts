/**
 * Bearer tokens: with a token set, every route but `/health` and the debugger's static page
 * needs `Authorization: Bearer <token>`. Compared in constant time (digests of equal length).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { detailResponse } from "./http-error.js";

/** Paths served without a token: liveness, and the debugger's page and assets (public code). */
function isPublic(method: string, path: string): boolean {
  if (method !== "GET" && method !== "HEAD") return false;
  return path === "/health" || path === "/" || path.startsWith("/debugger/");
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** A middleware that answers 401 `{ detail }` unless the request carries the token. */
export function bearerAuthMiddleware(token: string): MiddlewareHandler {
  if (typeof token !== "string" || token.length === 0) {
    throw new TypeError("`token` of createServer() must be a non-empty string.");
  }
  const expected = digest(token);
  return async (c, next) => {
    if (c.req.method === "OPTIONS" || isPublic(c.req.method, c.req.path)) return next();
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1] as string), expected)) {
      const response = detailResponse(
        401,
        match ? "Invalid token" : "Missing `Authorization: Bearer <token>` header",
      );
      response.headers.set("WWW-Authenticate", 'Bearer realm="stepwise"');
      return response;
    }
    return next();
  };
}
