/**
 * Text for values the engine did not make: whatever a step threw or returned. None of these
 * functions throws, whatever the value does (cycles, throwing `toString`/`toJSON`, getters,
 * proxies, null prototypes).
 */

const MAX_TEXT = 200;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

function attempt(fn: () => unknown): string | null {
  try {
    const text = fn();
    return typeof text === "string" ? text : null;
  } catch {
    return null;
  }
}

/**
 * A readable rendering of any value: JSON where it works, then `String()`, then the object's
 * tag, then a fixed phrase.
 */
export function safeText(value: unknown, max = MAX_TEXT): string {
  if (typeof value === "string") return clip(value, max);
  if (value === null || (typeof value !== "object" && typeof value !== "function"))
    return clip(String(value), max);
  const text =
    attempt(() => JSON.stringify(value)) ??
    attempt(() => String(value)) ??
    attempt(() => Object.prototype.toString.call(value)) ??
    "an unprintable value";
  return clip(text, max);
}

/** Reads `obj[key]` as a string, or returns null when it is absent, not a string, or throws. */
export function safeStringField(obj: object, key: string): string | null {
  try {
    const value = (obj as Record<string, unknown>)[key];
    return typeof value === "string" ? value : null;
  } catch {
    return null;
  }
}

/** What kind of value this is, for messages: "null", "an array", "an instance of Foo", ... */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return `a string (${JSON.stringify(clip(value, 40))})`;
  if (typeof value !== "object" && typeof value !== "function")
    return `a ${typeof value} (${safeText(value, 40)})`;
  try {
    if (Array.isArray(value)) return "an array";
    if (typeof value === "function") return "a function";
    const name = Object.getPrototypeOf(value)?.constructor?.name;
    return typeof name === "string" && name !== "" && name !== "Object"
      ? `an instance of ${name}`
      : "a plain object";
  } catch {
    return "an object";
  }
}
