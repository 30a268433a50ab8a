/**
 * The shape of a snapshot's JSON (format version 1), checked with zod before anything in it is
 * trusted. Shape only: whether the parts agree with each other and with the workflow is checked
 * by `snapshot-state.ts`.
 */
import { z } from "zod";
import type { TimedTick } from "./control-loop/ticks.js";

/** Ids and counters stay far below 2^53, so that a restored run can still count up from them. */
export const MAX_COUNT = 2 ** 52;
/** The largest time a `Date` can hold, in ms either side of the epoch. */
const MAX_TIME = 8.64e15;

const count = z.number().int().min(0).max(MAX_COUNT);
const time = z.number().min(-MAX_TIME).max(MAX_TIME);
const name = z.string().min(1);

const statusJson = z.enum(["idle", "running", "completed", "failed", "cancelled", "timedOut"]);
const roleJson = z.enum(["start", "stop", "inputRequired", "humanResponse", "stepFailed", "event"]);

const eventJson = z.object({
  $stepwise: z.literal("event"),
  type: name,
  data: z.record(z.string(), z.unknown()),
});
const recordJson = z.object({
  id: count.min(1),
  type: name,
  role: roleJson,
  value: eventJson,
});
const errorInfoJson = z.object({
  name: z.string(),
  message: z.string(),
  value: z.unknown().optional(),
});
const scopeJson = z.array(z.object({ stream: name, index: count })).min(1);
const itemJson = z.object({
  event: recordJson,
  attempts: count,
  firstAttemptAt: time.nullable(),
  lastError: errorInfoJson.nullable(),
  lastFailedAt: time.nullable(),
  recoveries: z.record(name, count).nullable(),
  rerun: z.boolean().optional(),
  scope: scopeJson.optional(),
  batch: z.array(recordJson).optional(),
});
const buffersJson = z.record(z.string(), z.record(name, z.array(recordJson)));
const workerJson = z.object({ item: itemJson, invocation: count, taken: buffersJson.nullable() });
const waiterJson = z.object({
  id: name,
  eventType: name,
  requirements: z.record(z.string(), z.unknown()).nullable(),
  item: itemJson,
  resolved: recordJson.nullable(),
  timedOut: z.boolean(),
  timerId: name.nullable(),
});
const stepJson = z.object({
  queue: z.array(itemJson),
  queueHead: z.literal(0),
  workers: z.array(workerJson.nullable()),
  collected: buffersJson,
  waiters: z.array(waiterJson),
  joined: z.array(
    z.object({
      event: recordJson,
      recoveries: z.record(name, count).nullable(),
      scope: scopeJson.nullable(),
    }),
  ),
});
const streamJson = z.object({
  source: name,
  scope: scopeJson.nullable(),
  origin: recordJson,
  recoveries: z.record(name, count).nullable(),
  open: count.min(1),
  gathered: z.record(
    name,
    z.object({
      events: z.array(z.object({ index: count, event: recordJson })),
      released: z.boolean(),
    }),
  ),
});
const tickJson = z.discriminatedUnion("type", [
  z.object({ type: z.literal("requeue"), step: name, item: itemJson }),
  z.object({ type: z.literal("runTimeout"), timeoutMs: z.number().min(0) }),
  z.object({ type: z.literal("waiterTimeout"), step: name, waiterId: name }),
]);

/** Fails to compile when a kind of `TimedTick` has no schema here, or the other way round. */
type SameKinds<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const ticksCovered: SameKinds<z.infer<typeof tickJson>["type"], TimedTick["type"]> = true;
void ticksCovered;

/**
 * A run's state in JSON. Counters (`active`, `queued`, `retriesPending`, `waiting`) and idle
 * flags are not read: they are derived again from what they count.
 */
const runJson = z.object({
  version: z.literal(1),
  status: statusJson,
  startedAt: time.nullable(),
  lastEventId: count,
  lastInvocation: count,
  lastTimer: count,
  steps: z.record(z.string(), stepJson),
  timers: z.record(z.string(), z.object({ dueAt: time, tick: tickJson })),
  streams: z.record(z.string(), streamJson),
  lastStream: count,
  annotations: z.record(z.string(), z.string()).optional(),
});

/** A whole snapshot: the envelope, the run (null before any run) and the store. */
export const snapshotJson = z.object({
  format: z.literal("stepwise.context"),
  version: z.literal(1),
  workflow: z.string(),
  runId: name.nullable(),
  status: statusJson,
  run: runJson.nullable(),
  store: z.record(z.string(), z.unknown()),
});

export type RunJson = z.infer<typeof runJson>;
export type StepJson = z.infer<typeof stepJson>;
export type ItemJson = z.infer<typeof itemJson>;
export type RecordJson = z.infer<typeof recordJson>;
export type BuffersJson = z.infer<typeof buffersJson>;
export type WaiterJson = z.infer<typeof waiterJson>;
export type TickJson = z.infer<typeof tickJson>;
export type ScopeJson = z.infer<typeof scopeJson>;
export type StreamJson = z.infer<typeof streamJson>;
