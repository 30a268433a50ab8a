/**
 * Errors that become HTTP responses with a `{ "detail": ... }` body, as the Python server's
 * Starlette `HTTPException` handler writes them.
 */

/** An error response: its status and the `detail` text of its body. */
export class HttpError extends Error {
  override readonly name = "HttpError";

  constructor(
    readonly status: number,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(detail, options);
  }
}

/** A JSON `{ detail }` response. */
export function detailResponse(status: number, detail: string): Response {
  return new Response(JSON.stringify({ detail }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** An error's message, for a `detail` (never its stack). */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
