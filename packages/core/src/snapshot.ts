/**
 * Snapshots of a run: `handler.ctx.toJSON()` writes one, `Context.fromJSON(wf, json)` reads it
 * back. The format is versioned and checked with zod, then checked for consistency against the
 * workflow (`snapshot-state.ts`), so a malformed, foreign or edited snapshot is refused with a
 * `SnapshotError` instead of half-restoring a run. Every problem, written or read, is a
 * `SnapshotError` with a `code`.
 */
import type { RunState, RunStatus } from "./control-loop/run-state.js";
import { SnapshotError } from "./errors.js";
import { formatPath } from "./event-codec.js";
import { describeValue, safeText } from "./internal/describe.js";
import { snapshotJson } from "./snapshot-format.js";
import { restoreRunState, type SnapshotWorkflow } from "./snapshot-read.js";
import { encodeRunState } from "./snapshot-write.js";

/** Turns store values into JSON and back; the default accepts JSON-safe values only. */
export interface StoreSerializer {
  serialize(value: unknown, key: string): unknown;
  deserialize(value: unknown, key: string): unknown;
}

/** The JSON form of a context. */
export interface ContextSnapshot {
  readonly format: "stepwise.context";
  readonly version: 1;
  readonly workflow: string;
  readonly runId: string | null;
  readonly status: RunStatus;
  /** The run's state, events as `{ $stepwise: "event", type, data }`; null before any run. */
  readonly run: unknown;
  readonly store: Record<string, unknown>;
}

/** A store value that JSON would not bring back as it is; its path grows as the throw unwinds. */
class JsonProblem {
  readonly segments: (string | number)[] = [];
  constructor(readonly reason: string) {}
}

/**
 * A copy of a JSON-safe value. `undefined` object fields are left out, as JSON leaves them out.
 * @throws {@link JsonProblem} for anything JSON would drop or change.
 */
function copyJson(value: unknown, seen: Set<object>): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return value;
    case "number":
      if (Number.isFinite(value)) return value;
      throw new JsonProblem(`is ${value}, which JSON cannot carry`);
    case "bigint":
    case "symbol":
    case "function":
      throw new JsonProblem(`is a ${typeof value}`);
  }
  if (value === null) return null;
  const obj = value as object;
  if (seen.has(obj)) throw new JsonProblem("refers back to itself");
  seen.add(obj);
  try {
    if (Array.isArray(obj) && Object.getPrototypeOf(obj) === Array.prototype) {
      const items: unknown[] = new Array(obj.length);
      for (let i = 0; i < obj.length; i++) {
        if (obj[i] === undefined) {
          throw within(new JsonProblem("is undefined, which JSON turns into null"), i);
        }
        items[i] = copyAt(obj[i], i, seen);
      }
      return items;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      throw new JsonProblem(`is ${describeValue(obj)}, which JSON would not bring back`);
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(obj)) {
      const item = copyAt((obj as Record<string, unknown>)[key], key, seen);
      if (item === undefined) continue;
      if (key === "__proto__") {
        Object.defineProperty(out, key, {
          value: item,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else out[key] = item;
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

function copyAt(value: unknown, segment: string | number, seen: Set<object>): unknown {
  try {
    return copyJson(value, seen);
  } catch (error) {
    throw within(error, segment);
  }
}

function within(error: unknown, segment: string | number): unknown {
  const problem =
    error instanceof JsonProblem ? error : new JsonProblem(`threw when read: ${safeText(error)}`);
  problem.segments.unshift(segment);
  return problem;
}

/** A JSON-safe copy of a store value. @throws {@link SnapshotError} (`unserializable`) naming the field. */
function toStoreJson(value: unknown, key: string, serialized: boolean): unknown {
  try {
    return copyJson(value, new Set());
  } catch (error) {
    const problem = error instanceof JsonProblem ? error : within(error, key);
    const inner = formatPath((problem as JsonProblem).segments);
    const path = inner === "" ? key : inner.startsWith("[") ? key + inner : `${key}.${inner}`;
    const reason = `\`${path}\` ${(problem as JsonProblem).reason}`;
    const fix = serialized
      ? "Make the `serializer` return JSON-safe data."
      : "Keep JSON-safe values in the store, or give the context a `serializer`.";
    throw new SnapshotError(
      "unserializable",
      `Failed to serialize state value for key \`${key}\`: ${reason}. ${fix}`,
      { key, path },
    );
  }
}

/** The default serializer: JSON-safe values pass (as a copy); anything else is an error. */
export const jsonSerializer: StoreSerializer = {
  serialize: (value, key) => toStoreJson(value, key, false),
  deserialize: (value) => value,
};

function writeStore(
  data: Record<string, unknown>,
  serializer: StoreSerializer,
): Record<string, unknown> {
  const store: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    let json: unknown;
    try {
      json = serializer.serialize(value, key);
    } catch (error) {
      if (error instanceof SnapshotError) throw error;
      throw new SnapshotError(
        "unserializable",
        `Failed to serialize state value for key \`${key}\`: ${safeText(error instanceof Error ? error.message : error)}. Keep JSON-safe values in the store, or give the context a \`serializer\`.`,
        { key, cause: error },
      );
    }
    // The default serializer has checked and copied already; a custom one's output is checked here.
    if (serializer !== jsonSerializer) json = toStoreJson(json, key, true);
    if (json !== undefined) store[key] = json;
  }
  return store;
}

/**
 * Writes a snapshot: plain JSON data, a copy that later changes to the run do not reach.
 * @throws {@link SnapshotError} (`unserializable`) naming the event field or store key that a
 * snapshot cannot carry.
 */
export function writeSnapshot(input: {
  workflow: string;
  runId: string | null;
  state: RunState | null;
  store: Record<string, unknown>;
  serializer: StoreSerializer;
}): ContextSnapshot {
  const store = writeStore(input.store, input.serializer);
  return {
    format: "stepwise.context",
    version: 1,
    workflow: input.workflow,
    runId: input.runId,
    status: input.state?.status ?? "idle",
    run: input.state ? encodeRunState(input.state) : null,
    store,
  };
}

/** A snapshot read back: the run state (if any) and the store. */
export interface RestoredContext {
  readonly runId: string | null;
  readonly state: RunState | null;
  readonly store: Record<string, unknown>;
}

/**
 * Reads a snapshot for a workflow.
 * @throws {@link SnapshotError} when it is not a snapshot, malformed, of another version or
 * workflow, inconsistent, or holds events or store values the workflow cannot take back.
 */
export function readSnapshot(
  json: unknown,
  workflow: SnapshotWorkflow,
  serializer: StoreSerializer,
): RestoredContext {
  const parsedJson = typeof json === "string" ? parseText(json) : json;
  checkEnvelope(parsedJson);
  const parsed = snapshotJson.safeParse(parsedJson);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const described = issues
      .slice(0, 5)
      .map((i) => `\`${formatPath(i.path as (string | number)[]) || "(root)"}\`: ${i.message}`)
      .join("; ");
    throw new SnapshotError(
      "malformed",
      `The snapshot is malformed and was not restored: ${described}.`,
      {
        path: formatPath((issues[0]?.path ?? []) as (string | number)[]),
      },
    );
  }
  const snapshot = parsed.data;
  if (snapshot.workflow !== workflow.name) {
    throw new SnapshotError(
      "otherWorkflow",
      `This snapshot is of workflow \`${snapshot.workflow}\`, not \`${workflow.name}\`. Restore it with the workflow that wrote it.`,
      { path: "workflow" },
    );
  }
  const runStatus = snapshot.run?.status ?? "idle";
  if (snapshot.status !== runStatus) {
    throw new SnapshotError(
      "inconsistent",
      `The snapshot's \`status\` is \`${snapshot.status}\` but its run's is \`${runStatus}\`; one of them was changed. Restore the snapshot as \`toJSON()\` wrote it.`,
      { path: "status" },
    );
  }
  const store = readStore(snapshot.store, serializer);
  if (!snapshot.run) return { runId: snapshot.runId, state: null, store };
  const ours = Object.keys(workflow.config.steps).sort();
  const theirs = Object.keys(snapshot.run.steps).sort();
  if (ours.join("\n") !== theirs.join("\n")) {
    throw new SnapshotError(
      "stepsDiffer",
      `This snapshot's steps (${theirs.join(", ")}) differ from workflow \`${workflow.name}\`'s (${ours.join(", ")}); it was written by another version of the workflow.`,
      { path: "run.steps" },
    );
  }
  return { runId: snapshot.runId, state: restoreRunState(snapshot.run, workflow), store };
}

function checkEnvelope(json: unknown): void {
  const record = json !== null && typeof json === "object" ? (json as Record<string, unknown>) : {};
  if (record.format !== "stepwise.context") {
    throw new SnapshotError(
      "notASnapshot",
      'This is not a stepwise context snapshot (no `format: "stepwise.context"`). Pass what `handler.ctx.toJSON()` returned.',
      { path: "format" },
    );
  }
  if (record.version !== 1) {
    throw new SnapshotError(
      "unsupportedVersion",
      `Snapshot version ${safeText(record.version)} is not supported; this version of stepwise reads version 1.`,
      { path: "version" },
    );
  }
}

function readStore(
  json: Record<string, unknown>,
  serializer: StoreSerializer,
): Record<string, unknown> {
  const store: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    try {
      store[key] = serializer.deserialize(value, key);
    } catch (error) {
      throw new SnapshotError(
        "invalidStore",
        `The serializer could not read store key \`${key}\` from the snapshot: ${safeText(error instanceof Error ? error.message : error)}.`,
        { key, path: `store.${key}`, cause: error },
      );
    }
  }
  return store;
}

function parseText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SnapshotError(
      "notJson",
      `The snapshot is not valid JSON: ${(error as Error).message}.`,
      {
        cause: error,
      },
    );
  }
}
