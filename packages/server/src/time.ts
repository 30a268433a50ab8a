/** Timestamps as the Python server writes them: ISO-8601 UTC with microseconds and `+00:00`. */

/** `2026-11-24T19:31:56.906000+00:00` for a time in milliseconds since the epoch. */
export function formatTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, -1)}000+00:00`;
}
