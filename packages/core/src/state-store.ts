/**
 * `ctx.store`: the run's shared state. Plain data read with dot paths (`"a.b.0"`), written
 * through a lock so that edits never interleave, optionally typed by a zod schema.
 */
import type { z } from "zod";
import { SnapshotError, WorkflowRuntimeError } from "./errors.js";
import { describeValue, safeText } from "./internal/describe.js";

const MAX_PATH_SEGMENTS = 1000;
/** Segments that reach an object's prototype machinery instead of its data. */
const FORBIDDEN_SEGMENTS = new Set(["__proto__", "constructor", "prototype"]);

function splitPath(path: string): string[] {
  if (typeof path !== "string") {
    throw new WorkflowRuntimeError("invalidStorePath", {
      path: safeText(path),
      problem: "notAString",
      received: describeValue(path),
    });
  }
  if (path.length === 0) {
    throw new WorkflowRuntimeError("invalidStorePath", { path, problem: "empty" });
  }
  const segments = path.split(".");
  if (segments.length > MAX_PATH_SEGMENTS) {
    throw new WorkflowRuntimeError("invalidStorePath", {
      path,
      problem: "tooDeep",
      limit: MAX_PATH_SEGMENTS,
    });
  }
  for (const segment of segments) {
    if (FORBIDDEN_SEGMENTS.has(segment)) {
      throw new WorkflowRuntimeError("invalidStorePath", {
        path,
        problem: "prototypeKey",
        segment,
      });
    }
  }
  return segments;
}

function child(container: unknown, key: string): { found: boolean; value: unknown } {
  if (container === null || typeof container !== "object")
    return { found: false, value: undefined };
  if (Array.isArray(container)) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= container.length)
      return { found: false, value: undefined };
    return { found: true, value: container[index] };
  }
  if (!Object.hasOwn(container, key)) return { found: false, value: undefined };
  return { found: true, value: (container as Record<string, unknown>)[key] };
}

/**
 * A copy an edit can change freely: plain objects, arrays, maps and sets are copied all the way
 * down; anything else (class instances, functions, dates) is shared.
 */
export function copyState(value: unknown, seen = new Map<object, unknown>()): unknown {
  if (value === null || typeof value !== "object") return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(copyState(item, seen));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map();
    seen.set(value, out);
    for (const [k, v] of value) out.set(k, copyState(v, seen));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    seen.set(value, out);
    for (const v of value) out.add(copyState(v, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = proto === null ? Object.create(null) : {};
  seen.set(value, out);
  for (const key of Object.keys(value))
    out[key] = copyState((value as Record<string, unknown>)[key], seen);
  return out;
}

/** The run's state store, reached as `ctx.store` from steps and from `handler.ctx`. */
export class StateStore<TState = Record<string, any>> {
  #data: Record<string, unknown>;
  readonly #schema: z.ZodType<TState> | undefined;
  #lock: Promise<void> = Promise.resolve();
  /** Set while an `edit` function runs synchronously: a write then comes from inside it. */
  #editing = false;
  /** The first write refused inside the running edit: the edit fails with it. */
  #violation: WorkflowRuntimeError | null = null;
  /** Told the whole state after every committed write (the runner journals it). */
  #onWrite: ((data: Record<string, unknown>) => void) | null = null;

  /** @internal Made by the context; seeded from a schema's defaults or from a snapshot. */
  constructor(schema: z.ZodType<TState> | undefined, data?: Record<string, unknown>) {
    this.#schema = schema;
    this.#data = data ?? StateStore.defaults(schema);
  }

  /** The state a schema's defaults give, or `{}` without a schema. */
  static defaults<T>(schema: z.ZodType<T> | undefined): Record<string, unknown> {
    if (!schema) return {};
    const parsed = schema.safeParse({});
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => i.path.join("."));
      throw new WorkflowRuntimeError("stateNeedsDefaults", { fields });
    }
    return parsed.data as Record<string, unknown>;
  }

  /**
   * Reads the value at a dot path (`"user.name"`, `"items.0"`).
   * @throws {@link WorkflowRuntimeError} when the path is missing and no default is given.
   */
  get<T = any>(path: string, ...defaultValue: [T?]): T {
    let value: unknown = this.#data;
    for (const segment of splitPath(path)) {
      const next = child(value, segment);
      if (!next.found) {
        if (defaultValue.length > 0) return defaultValue[0] as T;
        throw new WorkflowRuntimeError("storePathNotFound", { path });
      }
      value = next.value;
    }
    return value as T;
  }

  /** Writes a value at a dot path, creating intermediate objects. Serialized with other edits. */
  set(path: string, value: unknown): Promise<void> {
    if (this.#editing) return this.#refuseInsideEdit("set");
    return this.#set(path, value);
  }

  async #set(path: string, value: unknown): Promise<void> {
    const segments = splitPath(path);
    await this.#locked(() => {
      let container: any = this.#data;
      for (let i = 0; i < segments.length - 1; i++) {
        const key = segments[i] as string;
        const next = child(container, key);
        if (!next.found || next.value === null || typeof next.value !== "object") {
          container[key] = {};
        }
        container = container[key];
      }
      container[segments[segments.length - 1] as string] = value;
      if (this.#schema) this.#data = this.#validate(this.#data);
    });
  }

  /**
   * Runs `fn` on an isolated copy of the state while holding the store's lock, so edits never
   * interleave. `fn` may change the copy in place or return a new state; it is committed
   * (validated) when `fn` returns, and dropped if `fn` throws. Reads meanwhile, `fn`'s own
   * included, see the committed state.
   * @throws {@link WorkflowRuntimeError} when `fn` writes to the store itself: change the copy.
   */
  edit(
    fn: (state: TState) => TState | undefined | void | Promise<TState | undefined | void>,
  ): Promise<void> {
    if (this.#editing) return this.#refuseInsideEdit("edit");
    return this.#edit(fn);
  }

  async #edit(
    fn: (state: TState) => TState | undefined | void | Promise<TState | undefined | void>,
  ): Promise<void> {
    await this.#locked(async () => {
      const draft = copyState(this.#data) as Record<string, unknown>;
      let pending: TState | undefined | void | Promise<TState | undefined | void>;
      this.#editing = true;
      this.#violation = null;
      try {
        pending = fn(draft as TState);
      } finally {
        this.#editing = false;
      }
      const result = await pending;
      if (this.#violation) throw this.#violation;
      const next = result === undefined ? draft : (result as Record<string, unknown>);
      this.#data = this.#schema ? this.#validate(next) : next;
    });
  }

  /** A shallow copy of the whole state. */
  getState(): TState {
    return { ...this.#data } as TState;
  }

  /** Replaces the whole state (validated against the schema, if any). */
  setState(value: TState): Promise<void> {
    if (this.#editing) return this.#refuseInsideEdit("setState");
    return this.#setState(value);
  }

  async #setState(value: TState): Promise<void> {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new WorkflowRuntimeError("storeStateNotObject", { received: describeValue(value) });
    }
    await this.#locked(() => {
      this.#data = this.#schema ? this.#validate(value) : { ...(value as Record<string, unknown>) };
    });
  }

  /** Resets the state to the schema's defaults (or `{}`). */
  clear(): Promise<void> {
    if (this.#editing) return this.#refuseInsideEdit("clear");
    return this.#clear();
  }

  async #clear(): Promise<void> {
    await this.#locked(() => {
      this.#data = StateStore.defaults(this.#schema);
    });
  }

  /**
   * @internal Replaces the state at once (restoring a snapshot), checked against the schema.
   * @throws {@link SnapshotError} (`invalidStore`) naming the key that fails the schema.
   */
  restore(data: Record<string, unknown>): void {
    if (!this.#schema) {
      this.#data = data;
      return;
    }
    const parsed = this.#schema.safeParse({ ...StateStore.defaults(this.#schema), ...data });
    if (!parsed.success) {
      const issues = parsed.error.issues;
      const described = issues
        .map((i) => `\`${i.path.map(String).join(".") || "(state)"}\`: ${i.message}`)
        .join("; ");
      const key = issues[0]?.path[0];
      throw new SnapshotError(
        "invalidStore",
        `The snapshot's store does not match the workflow's state schema: ${described}. Restore it with the workflow version that wrote it.`,
        {
          ...(key === undefined ? {} : { key: String(key), path: `store.${String(key)}` }),
          cause: parsed.error,
        },
      );
    }
    this.#data = parsed.data as Record<string, unknown>;
  }

  /** @internal The raw state, for snapshots. */
  snapshotData(): Record<string, unknown> {
    return this.#data;
  }

  #validate(value: unknown): Record<string, unknown> {
    const parsed = (this.#schema as z.ZodType<TState>).safeParse(value);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (i) => `\`${i.path.join(".") || "(state)"}\`: ${i.message}`,
      );
      throw new WorkflowRuntimeError("storeStateInvalid", { problems });
    }
    return parsed.data as Record<string, unknown>;
  }

  async #locked(fn: () => void | Promise<void>): Promise<void> {
    const previous = this.#lock;
    let release!: () => void;
    this.#lock = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      await fn();
      this.#onWrite?.(this.#data);
    } finally {
      release();
    }
  }

  /** A write from inside an edit function: the edit fails (nothing is committed), and so does the write. */
  #refuseInsideEdit(method: string): Promise<void> {
    const error = new WorkflowRuntimeError("storeWriteInsideEdit", {
      method: `store.${method}()`,
    });
    this.#violation ??= error;
    const refused = Promise.reject(error);
    refused.catch(() => {});
    return refused;
  }

  /** @internal The runner listens to committed writes (to journal them); null stops it. */
  onWrite(listener: ((data: Record<string, unknown>) => void) | null): void {
    this.#onWrite = listener;
  }
}
