/**
 * Snapshots of a run: `handler.ctx.toJSON()` writes one, `Context.fromJSON(wf, json)` reads it
 * back. The format is versioned and checked with zod, so a malformed or foreign snapshot is
 * refused with a clear error instead of half-restoring a run.
 */
import { z } from "zod";
import type { RunConfig, RunState, RunStatus } from "./control-loop/run-state.js";
import { SnapshotError } from "./errors.js";
import { decodeValue, type EventRegistry, encodeValue, UnrevivedEvent } from "./event-codec.js";

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

function jsonProblem(value: unknown, path: string, seen: Set<object>): string | null {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return null;
    case "number":
      return Number.isFinite(value) ? null : `${path} is ${value}, which JSON cannot carry`;
    case "bigint":
    case "symbol":
    case "function":
      return `${path} is a ${typeof value}`;
  }
  if (value === null) return null;
  const obj = value as object;
  if (seen.has(obj)) return `${path} refers back to itself`;
  if (Array.isArray(obj)) {
    seen.add(obj);
    for (let i = 0; i < obj.length; i++) {
      const problem = jsonProblem(obj[i], `${path}[${i}]`, seen);
      if (problem) return problem;
    }
    seen.delete(obj);
    return null;
  }
  const proto = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null) {
    return `${path} is an instance of ${obj.constructor?.name ?? "a class"}, which JSON would not bring back`;
  }
  seen.add(obj);
  for (const [key, item] of Object.entries(obj)) {
    const problem = jsonProblem(item, `${path}.${key}`, seen);
    if (problem) return problem;
  }
  seen.delete(obj);
  return null;
}

/** The default serializer: JSON-safe values pass unchanged; anything else is an error. */
export const jsonSerializer: StoreSerializer = {
  serialize(value, key) {
    const problem = jsonProblem(value, key, new Set());
    if (problem) throw new Error(problem);
    return value;
  },
  deserialize: (value) => value,
};

/** The state without its config, with each queue's taken prefix dropped. */
function compact(state: RunState): Omit<RunState, "config"> {
  const { config: _config, ...rest } = state;
  const steps: RunState["steps"] = {};
  for (const [name, step] of Object.entries(state.steps)) {
    steps[name] = { ...step, queue: step.queue.slice(step.queueHead), queueHead: 0 };
  }
  return { ...rest, steps };
}

/** Writes a snapshot. */
export function writeSnapshot(input: {
  workflow: string;
  runId: string | null;
  state: RunState | null;
  store: Record<string, unknown>;
  serializer: StoreSerializer;
}): ContextSnapshot {
  const store: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input.store)) {
    try {
      store[key] = input.serializer.serialize(value, key);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new SnapshotError(
        `Failed to serialize state value for key \`${key}\`: ${reason}. Keep JSON-safe values in the store, or give the context a \`serializer\`.`,
        { cause: error },
      );
    }
  }
  const run = input.state ? encodeValue(compact(input.state)) : null;
  return {
    format: "stepwise.context",
    version: 1,
    workflow: input.workflow,
    runId: input.runId,
    status: input.state?.status ?? "idle",
    run: run === null ? null : JSON.parse(JSON.stringify(run)),
    store,
  };
}

const eventJson = z.object({
  $stepwise: z.literal("event"),
  type: z.string(),
  data: z.record(z.string(), z.unknown()),
});
const recordJson = z.object({
  id: z.number().int(),
  type: z.string(),
  role: z.string(),
  value: eventJson,
});
const errorJson = z.object({ name: z.string(), message: z.string() }).passthrough();
const itemJson = z.object({
  event: recordJson,
  attempts: z.number().int().min(0),
  firstAttemptAt: z.number().nullable(),
  lastError: errorJson.nullable(),
  lastFailedAt: z.number().nullable(),
  recoveries: z.record(z.string(), z.number()).nullable(),
  rerun: z.boolean().optional(),
});
const buffersJson = z.record(z.string(), z.record(z.string(), z.array(recordJson)));
const statusJson = z.enum(["idle", "running", "completed", "failed", "cancelled", "timedOut"]);
const runJson = z.object({
  version: z.literal(1),
  status: statusJson,
  startedAt: z.number().nullable(),
  lastEventId: z.number().int(),
  lastInvocation: z.number().int(),
  lastTimer: z.number().int(),
  steps: z.record(
    z.string(),
    z.object({
      queue: z.array(itemJson),
      queueHead: z.literal(0),
      workers: z.array(
        z
          .object({ item: itemJson, invocation: z.number(), taken: buffersJson.nullable() })
          .nullable(),
      ),
      collected: buffersJson,
      waiters: z.array(
        z.object({
          id: z.string(),
          eventType: z.string(),
          requirements: z.record(z.string(), z.unknown()).nullable(),
          item: itemJson,
          resolved: recordJson.nullable(),
          timedOut: z.boolean(),
          timerId: z.string().nullable(),
        }),
      ),
    }),
  ),
  timers: z.record(
    z.string(),
    z.object({ dueAt: z.number(), tick: z.object({ type: z.string() }).passthrough() }),
  ),
  active: z.number().int(),
  queued: z.number().int(),
  retriesPending: z.number().int(),
  waiting: z.number().int(),
  idleCheckPending: z.boolean(),
  idleNotified: z.boolean(),
});
const snapshotJson = z.object({
  format: z.literal("stepwise.context"),
  version: z.number(),
  workflow: z.string(),
  runId: z.string().nullable(),
  status: statusJson,
  run: runJson.nullable(),
  store: z.record(z.string(), z.unknown()),
});

/** A snapshot read back: the run state (if any) and the store. */
export interface RestoredContext {
  readonly runId: string | null;
  readonly state: RunState | null;
  readonly store: Record<string, unknown>;
}

/**
 * Reads a snapshot for a workflow.
 * @throws {@link SnapshotError} when it is malformed, of another version, or of another workflow.
 */
export function readSnapshot(
  json: unknown,
  workflow: { name: string; config: RunConfig; registry: EventRegistry },
  serializer: StoreSerializer,
): RestoredContext {
  const parsedJson = typeof json === "string" ? parseText(json) : json;
  const envelope = z.object({ format: z.string(), version: z.unknown() }).safeParse(parsedJson);
  if (!envelope.success || envelope.data.format !== "stepwise.context") {
    throw new SnapshotError(
      'This is not a stepwise context snapshot (no `format: "stepwise.context"`). Pass what `handler.ctx.toJSON()` returned.',
    );
  }
  if (envelope.data.version !== 1) {
    throw new SnapshotError(
      `Snapshot version ${JSON.stringify(envelope.data.version)} is not supported; this version of stepwise reads version 1.`,
    );
  }
  const parsed = snapshotJson.safeParse(parsedJson);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `\`${i.path.join(".") || "(root)"}\`: ${i.message}`)
      .join("; ");
    throw new SnapshotError(`The snapshot is malformed and was not restored: ${issues}.`);
  }
  const snapshot = parsed.data;
  if (snapshot.workflow !== workflow.name) {
    throw new SnapshotError(
      `This snapshot is of workflow \`${snapshot.workflow}\`, not \`${workflow.name}\`. Restore it with the workflow that wrote it.`,
    );
  }
  const store: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(snapshot.store))
    store[key] = serializer.deserialize(value, key);
  if (!snapshot.run) return { runId: snapshot.runId, state: null, store };
  const ours = Object.keys(workflow.config.steps).sort();
  const theirs = Object.keys(snapshot.run.steps).sort();
  if (ours.join("\n") !== theirs.join("\n")) {
    throw new SnapshotError(
      `This snapshot's steps (${theirs.join(", ")}) differ from workflow \`${workflow.name}\`'s (${ours.join(", ")}); it was written by another version of the workflow.`,
    );
  }
  const unrevived: UnrevivedEvent[] = [];
  const decoded = decodeValue(snapshot.run, workflow.registry, (event) => {
    const kept = new UnrevivedEvent(event);
    unrevived.push(kept);
    return kept;
  }) as Omit<RunState, "config">;
  // Only a waiter's resolved event may be of a class the workflow does not declare: the step
  // that waits names the class when it asks for the event again.
  const allowed = new Set<unknown>();
  for (const step of Object.values(decoded.steps)) {
    for (const waiter of step.waiters) if (waiter.resolved) allowed.add(waiter.resolved.value);
  }
  const stray = unrevived.find((event) => !allowed.has(event));
  if (stray) {
    const known = [...workflow.registry.keys()].join(", ");
    throw new SnapshotError(
      `Cannot revive event of type \`${stray.json.type}\`: workflow \`${workflow.name}\` has no event class with that \`eventType\`. Known types: ${known}.`,
    );
  }
  return { runId: snapshot.runId, state: { ...decoded, config: workflow.config }, store };
}

function parseText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SnapshotError(`The snapshot is not valid JSON: ${(error as Error).message}.`, {
      cause: error,
    });
  }
}
