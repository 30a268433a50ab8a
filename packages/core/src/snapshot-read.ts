/**
 * A run's state read back from snapshot JSON (already checked for shape), with every part
 * checked against the others and against the workflow. What can be derived (counters, the
 * largest ids) is recomputed rather than trusted; what cannot (an event twice, a timer for a
 * missing waiter, an event its step does not accept) is refused with a `SnapshotError` naming
 * the field. A state that is read is one the control loop could have written, so a resumed run
 * never fails inside the engine or waits on something that cannot happen. Every check is a
 * set or map lookup: reading is linear in the size of the snapshot.
 */
import type {
  CollectBuffer,
  Gathered,
  JoinEntry,
  RunConfig,
  RunState,
  StepRunState,
  StreamState,
  Waiter,
  Worker,
} from "./control-loop/run-state.js";
import type {
  ErrorInfo,
  EventRecord,
  Recoveries,
  Scope,
  TimedTick,
  WorkItem,
} from "./control-loop/ticks.js";
import { SnapshotError } from "./errors.js";
import {
  appendPath,
  decodeEvent,
  decodeValue,
  type EventRegistry,
  UnrevivedEvent,
} from "./event-codec.js";
import { Event, type EventClass, eventRole } from "./events.js";
import type {
  BuffersJson,
  ItemJson,
  RecordJson,
  RunJson,
  ScopeJson,
  StepJson,
  StreamJson,
  TickJson,
  WaiterJson,
} from "./snapshot-format.js";

/** What reading a run needs to know about its workflow (a compiled `WorkflowSpec` has it). */
export interface SnapshotWorkflow {
  readonly name: string;
  readonly config: RunConfig;
  readonly registry: EventRegistry;
  readonly steps: ReadonlyMap<
    string,
    {
      readonly acceptsTypes: ReadonlySet<string>;
      readonly accepts: readonly EventClass[];
      readonly acceptSubclasses?: boolean;
    }
  >;
}

/**
 * Reads a run's state for `workflow`, whose step names it must have.
 * @throws {@link SnapshotError} `unknownEventType`, `invalidEvent`, `malformed` or `inconsistent`.
 */
export function restoreRunState(json: RunJson, workflow: SnapshotWorkflow): RunState {
  return new StateReader(workflow).read(json);
}

function inconsistent(path: string, problem: string, eventType?: string): SnapshotError {
  return new SnapshotError(
    "inconsistent",
    `The snapshot does not hold together at \`${path}\`: ${problem}. The engine never writes this; restore the snapshot as \`toJSON()\` wrote it.`,
    { path, ...(eventType ? { eventType } : {}) },
  );
}

/** One step's work while it is read. */
interface StepWork {
  readonly name: string;
  /** Whether its items run with a batch (`collect`, `join`): their `event` stands for the batch. */
  readonly batched: boolean;
  /** Event ids of its items (queued, running or waiting to retry): each occurs once. */
  readonly ids: Set<number>;
  /** Record ids per collect buffer (collected, or taken by a worker): each occurs once. */
  readonly buffered: Map<string, Set<number>>;
}

const STREAM_ID = /^c([1-9]\d{0,15})$/;
const TIMER_ID = /^(retry|waiter):([1-9]\d{0,15})$/;

class StateReader {
  readonly #workflow: SnapshotWorkflow;
  readonly #steps: RunConfig["steps"];
  /** The type of every event id met, so that one id never names two events. */
  readonly #types = new Map<number, string>();
  #maxEventId = 0;
  #maxInvocation = 0;
  #maxTimer = 0;
  #maxStream = 0;
  /** Waiter timeouts armed by timers: `step\nwaiterId` -> timer id; claimed by their waiters. */
  readonly #waiterTimers = new Map<string, string>();
  /** Items waiting on a retry timer, by step. */
  readonly #retries = new Map<string, { path: string; item: WorkItem }[]>();
  #retryCount = 0;
  /** Unfinished items by the fan-out collection they are innermost in: `step\nid` keys. */
  readonly #inCollection = new Map<string, Set<string>>();

  constructor(workflow: SnapshotWorkflow) {
    this.#workflow = workflow;
    this.#steps = workflow.config.steps;
  }

  read(json: RunJson): RunState {
    const timers: RunState["timers"] = {};
    for (const [id, timer] of Object.entries(json.timers)) {
      timers[id] = { dueAt: timer.dueAt, tick: this.#tick(id, timer.tick) };
    }
    const steps: Record<string, StepRunState> = {};
    let active = 0;
    let queued = 0;
    let waiting = 0;
    for (const name of Object.keys(this.#steps)) {
      const step = this.#step(name, json.steps[name] as StepJson);
      steps[name] = step;
      for (const worker of step.workers) if (worker) active++;
      queued += step.queue.length;
      waiting += step.waiters.length;
    }
    const unclaimed = this.#waiterTimers.entries().next();
    if (!unclaimed.done) {
      const [key, timerId] = unclaimed.value;
      const [step, waiterId] = key.split("\n") as [string, string];
      throw inconsistent(
        appendPath("run.timers", timerId),
        `the timer times out waiter \`${waiterId}\` of step \`${step}\`, which does not exist or has no such timer`,
      );
    }
    const streams: Record<string, StreamState> = {};
    for (const [id, stream] of Object.entries(json.streams)) {
      streams[id] = this.#stream(id, stream);
    }
    this.#checkOpenCounts(streams);
    return {
      version: 1,
      status: json.status,
      config: this.#workflow.config,
      startedAt: json.startedAt,
      lastEventId: Math.max(json.lastEventId, this.#maxEventId),
      lastInvocation: Math.max(json.lastInvocation, this.#maxInvocation),
      lastTimer: Math.max(json.lastTimer, this.#maxTimer),
      steps,
      timers,
      streams,
      lastStream: Math.max(json.lastStream, this.#maxStream),
      ...(json.annotations ? { annotations: { ...json.annotations } } : {}),
      active,
      queued,
      retriesPending: this.#retryCount,
      waiting,
      idleCheckPending: false,
      idleNotified: false,
    };
  }

  /** A timer's id says what it is (`timeout`, `retry:N`, `waiter:N`); its tick must agree. */
  #tick(id: string, tick: TickJson): TimedTick {
    const path = appendPath("run.timers", id);
    const match = TIMER_ID.exec(id);
    const kind =
      id === "timeout"
        ? "runTimeout"
        : match?.[1] === "retry"
          ? "requeue"
          : match
            ? "waiterTimeout"
            : null;
    if (kind === null)
      throw inconsistent(path, "a timer's id is `timeout`, `retry:N` or `waiter:N`");
    if (tick.type !== kind) {
      throw inconsistent(
        `${path}.tick.type`,
        `timer \`${id}\` delivers a \`${kind}\` tick, not \`${tick.type}\``,
      );
    }
    if (match) this.#maxTimer = Math.max(this.#maxTimer, Number(match[2]));
    switch (tick.type) {
      case "runTimeout":
        return { type: "runTimeout", timeoutMs: tick.timeoutMs };
      case "requeue": {
        this.#knownStep(tick.step, `${path}.tick.step`);
        const item = this.#item(tick.item, `${path}.tick.item`, tick.step);
        if (item.attempts === 0) {
          throw inconsistent(`${path}.tick.item.attempts`, "an item waiting to retry has failed");
        }
        const list = this.#retries.get(tick.step) ?? [];
        list.push({ path: `${path}.tick.item`, item });
        this.#retries.set(tick.step, list);
        this.#retryCount++;
        return { type: "requeue", step: tick.step, item };
      }
      case "waiterTimeout": {
        this.#knownStep(tick.step, `${path}.tick.step`);
        const key = `${tick.step}\n${tick.waiterId}`;
        if (this.#waiterTimers.has(key)) {
          throw inconsistent(
            path,
            `waiter \`${tick.waiterId}\` of step \`${tick.step}\` has another timer`,
          );
        }
        this.#waiterTimers.set(key, id);
        return { type: "waiterTimeout", step: tick.step, waiterId: tick.waiterId };
      }
    }
  }

  #knownStep(name: string, path: string): void {
    if (!Object.hasOwn(this.#steps, name)) {
      const known = Object.keys(this.#steps).join(", ");
      throw inconsistent(
        path,
        `\`${name}\` is not a step of \`${this.#workflow.name}\` (steps: ${known})`,
      );
    }
  }

  #step(name: string, json: StepJson): StepRunState {
    const base = appendPath("run.steps", name);
    const config = this.#steps[name];
    const work: StepWork = {
      name,
      batched: Boolean(config?.collect || config?.join),
      ids: new Set(),
      buffered: new Map(),
    };
    const queue = json.queue.map((item, i) => this.#workItem(item, `${base}.queue[${i}]`, work));
    const workers: (Worker | null)[] = json.workers.map((worker, id) => {
      if (!worker) return null;
      const path = `${base}.workers[${id}]`;
      this.#maxInvocation = Math.max(this.#maxInvocation, worker.invocation);
      return {
        item: this.#workItem(worker.item, `${path}.item`, work),
        invocation: worker.invocation,
        taken: worker.taken && this.#buffers(worker.taken, `${path}.taken`, work),
      };
    });
    for (const { path, item } of this.#retries.get(name) ?? []) this.#claim(item, path, work);
    const collected = this.#buffers(json.collected, `${base}.collected`, work);
    const waiters = this.#waiters(json.waiters, base, work);
    if (json.joined.length > 0 && !config?.join) {
      throw inconsistent(`${base}.joined`, `step \`${name}\` is not a \`join\` step`);
    }
    const joined = json.joined.map((entry, i): JoinEntry => {
      const path = `${base}.joined[${i}]`;
      const event = this.#record(entry.event, `${path}.event`, false);
      this.#accepted(name, event, `${path}.event`);
      return {
        event,
        recoveries: entry.recoveries && this.#recoveries(entry.recoveries, `${path}.recoveries`),
        scope: entry.scope && this.#scope(entry.scope, `${path}.scope`),
      };
    });
    return { queue, queueHead: 0, workers, collected, waiters, joined };
  }

  /** An item of the step's own work: queued, running or waiting to retry. */
  #workItem(json: ItemJson, path: string, work: StepWork): WorkItem {
    const item = this.#item(json, path, work.name);
    this.#claim(item, path, work);
    return item;
  }

  /** An event reaches a step once, so its id occurs once in the step's work (batches aside). */
  #claim(item: WorkItem, path: string, work: StepWork): void {
    this.#noteInCollection(work.name, item);
    const id = item.event.id;
    if (work.ids.has(id) && !work.batched) {
      throw inconsistent(
        `${path}.event.id`,
        `event ${id} is already queued, running or waiting to retry in step \`${work.name}\`; an event reaches a step once`,
        item.event.type,
      );
    }
    work.ids.add(id);
  }

  #accepted(step: string, record: EventRecord, path: string): void {
    const info = this.#workflow.steps.get(step);
    if (!info) throw inconsistent(path, `\`${step}\` is not a step`);
    if (info.acceptsTypes.has(record.type)) return;
    const value = record.value;
    if (
      info.acceptSubclasses === true &&
      value instanceof Event &&
      info.accepts.some((cls) => value instanceof (cls as unknown as typeof Event))
    ) {
      return;
    }
    throw inconsistent(
      `${path}.type`,
      `step \`${step}\` does not accept \`${record.type}\` (it accepts ${[...info.acceptsTypes].join(", ")})`,
      record.type,
    );
  }

  #item(json: ItemJson, path: string, step: string): WorkItem {
    const config = this.#steps[step];
    const event = this.#record(json.event, `${path}.event`, false);
    // A `collect` step's item stands for its batch: its event may be the fan-out's own input.
    if (!config?.collect) this.#accepted(step, event, `${path}.event`);
    const failed = json.attempts > 0;
    if (failed !== (json.lastError !== null) || failed !== (json.lastFailedAt !== null)) {
      throw inconsistent(
        `${path}.attempts`,
        "`attempts`, `lastError` and `lastFailedAt` disagree: an item that has failed has all three, one that has not has none",
      );
    }
    if (failed && json.firstAttemptAt === null) {
      throw inconsistent(`${path}.firstAttemptAt`, "an item that has failed has started");
    }
    const item: WorkItem = {
      event,
      attempts: json.attempts,
      firstAttemptAt: json.firstAttemptAt,
      lastError: json.lastError && this.#errorInfo(json.lastError, `${path}.lastError`),
      lastFailedAt: json.lastFailedAt,
      recoveries: json.recoveries && this.#recoveries(json.recoveries, `${path}.recoveries`),
    };
    // An item that has started runs again as a re-run (it collects its own input once),
    // whatever the flag says; marking a first run as a re-run changes nothing.
    if (json.rerun === true || json.firstAttemptAt !== null) item.rerun = true;
    if (json.scope) item.scope = this.#scope(json.scope, `${path}.scope`);
    if (json.batch) {
      if (!config?.collect && !config?.join) {
        throw inconsistent(
          `${path}.batch`,
          `step \`${step}\` is not a \`collect\` or \`join\` step`,
        );
      }
      item.batch = json.batch.map((recordJson, i) => {
        const record = this.#record(recordJson, `${path}.batch[${i}]`, false);
        this.#accepted(step, record, `${path}.batch[${i}]`);
        return record;
      });
    }
    return item;
  }

  #errorInfo(json: NonNullable<ItemJson["lastError"]>, path: string): ErrorInfo {
    if (json.value === undefined) return { name: json.name, message: json.message };
    const value = this.#decode(json.value, `${path}.value`);
    if (!(value instanceof Error)) {
      throw inconsistent(`${path}.value`, "an item's last error is an error");
    }
    return { name: json.name, message: json.message, value };
  }

  #recoveries(json: Record<string, number>, path: string): Recoveries {
    for (const handler of Object.keys(json)) {
      if (!Object.hasOwn(this.#steps, handler) || this.#steps[handler]?.maxRecoveries == null) {
        throw inconsistent(
          appendPath(path, handler),
          `\`${handler}\` is not a \`@catchError\` step of \`${this.#workflow.name}\``,
        );
      }
    }
    return { ...json };
  }

  #scope(json: ScopeJson, path: string): Scope {
    return json.map((entry, i) => {
      const match = STREAM_ID.exec(entry.stream);
      if (!match) throw inconsistent(`${path}[${i}].stream`, "a fan-out collection's id is `cN`");
      this.#maxStream = Math.max(this.#maxStream, Number(match[1]));
      return { stream: entry.stream, index: entry.index };
    });
  }

  #noteInCollection(step: string, item: WorkItem): void {
    const innermost = item.scope?.[item.scope.length - 1]?.stream;
    if (innermost === undefined) return;
    let items = this.#inCollection.get(innermost);
    if (!items) this.#inCollection.set(innermost, (items = new Set()));
    items.add(`${step}\n${item.event.id}`);
  }

  /**
   * A collection counts its unfinished items (queued, running, waiting to retry or parked in a
   * wait) and, for each collection nested in it, one run per `collect` step yet to be released.
   * A count below that would close it early, without what those items bring: refused. (A count
   * above it leaves the collection open; the run then fails as stuck, saying so.)
   */
  #checkOpenCounts(streams: Record<string, StreamState>): void {
    const pending = new Map<string, number>();
    for (const [id, items] of this.#inCollection) pending.set(id, items.size);
    for (const stream of Object.values(streams)) {
      const parent = stream.scope?.[stream.scope.length - 1]?.stream;
      if (parent === undefined) continue;
      const unreleased = Object.values(stream.gathered).filter((g) => !g.released).length;
      pending.set(parent, (pending.get(parent) ?? 0) + unreleased);
    }
    for (const [id, stream] of Object.entries(streams)) {
      const needed = pending.get(id) ?? 0;
      if (stream.open < needed) {
        throw inconsistent(
          `${appendPath("run.streams", id)}.open`,
          `the collection counts ${stream.open} unfinished item(s), but ${needed} are in it`,
        );
      }
    }
  }

  /** An open fan-out collection: opened by a `fanOut` step, gathered by the steps bound to it. */
  #stream(id: string, json: StreamJson): StreamState {
    const path = appendPath("run.streams", id);
    const match = STREAM_ID.exec(id);
    if (!match) throw inconsistent(path, "a fan-out collection's id is `cN`");
    this.#maxStream = Math.max(this.#maxStream, Number(match[1]));
    this.#knownStep(json.source, `${path}.source`);
    if (!this.#steps[json.source]?.fanOut) {
      throw inconsistent(`${path}.source`, `step \`${json.source}\` is not a \`fanOut\` step`);
    }
    const bound = this.#workflow.config.bindings?.[json.source] ?? [];
    const gathered: Record<string, Gathered> = {};
    for (const [step, entry] of Object.entries(json.gathered)) {
      if (!bound.includes(step)) {
        throw inconsistent(
          appendPath(`${path}.gathered`, step),
          `\`${step}\` does not gather the collections of step \`${json.source}\``,
        );
      }
      const ids = new Set<number>();
      const events = entry.events.map((e, i) => {
        const at = `${appendPath(`${path}.gathered`, step)}.events[${i}].event`;
        const event = this.#record(e.event, at, false);
        this.#accepted(step, event, at);
        if (ids.has(event.id)) {
          throw inconsistent(`${at}.id`, `event ${event.id} is gathered twice by step \`${step}\``);
        }
        ids.add(event.id);
        return { index: e.index, event };
      });
      gathered[step] = { events, released: entry.released };
    }
    return {
      source: json.source,
      scope: json.scope && this.#scope(json.scope, `${path}.scope`),
      origin: this.#record(json.origin, `${path}.origin`, false),
      recoveries: json.recoveries && this.#recoveries(json.recoveries, `${path}.recoveries`),
      open: json.open,
      gathered,
    };
  }

  /**
   * An event record: its type must be the event's own and a class of the workflow (except a
   * waiter's resolved event, `mayBeUnknown`), its role the class's, and its id name one event.
   */
  #record(json: RecordJson, path: string, mayBeUnknown: boolean): EventRecord {
    const type = json.type;
    if (json.value.type !== type) {
      throw inconsistent(
        `${path}.value.type`,
        `the record is of type \`${type}\` but holds a \`${json.value.type}\``,
        type,
      );
    }
    const seen = this.#types.get(json.id);
    if (seen === undefined) this.#types.set(json.id, type);
    else if (seen !== type) {
      throw inconsistent(
        `${path}.id`,
        `event id ${json.id} is both a \`${seen}\` and a \`${type}\``,
        type,
      );
    }
    this.#maxEventId = Math.max(this.#maxEventId, json.id);
    const cls = this.#workflow.registry.get(type);
    if (!cls && mayBeUnknown) {
      const value = new UnrevivedEvent({ type, data: json.value.data });
      return { id: json.id, type, role: json.role, value };
    }
    if (cls && eventRole(cls) !== json.role) {
      throw inconsistent(
        `${path}.role`,
        `\`${type}\` events have role \`${eventRole(cls)}\`, not \`${json.role}\``,
        type,
      );
    }
    let value: Event;
    try {
      value = decodeEvent({ type, data: json.value.data }, this.#workflow.registry);
    } catch (error) {
      throw located(error, `${path}.value.data`);
    }
    return { id: json.id, type, role: json.role, value };
  }

  #decode(json: unknown, path: string): unknown {
    try {
      return decodeValue(json, this.#workflow.registry);
    } catch (error) {
      throw located(error, path);
    }
  }

  #buffers(json: BuffersJson, path: string, work: StepWork): Record<string, CollectBuffer> {
    const out: Record<string, CollectBuffer> = {};
    for (const [bufferId, byType] of Object.entries(json)) {
      let ids = work.buffered.get(bufferId);
      if (!ids) work.buffered.set(bufferId, (ids = new Set()));
      const held = ids;
      const buffer: CollectBuffer = {};
      for (const [type, records] of Object.entries(byType)) {
        buffer[type] = records.map((recordJson, i) => {
          const at = `${appendPath(appendPath(path, bufferId), type)}[${i}]`;
          const record = this.#record(recordJson, at, false);
          if (record.type !== type) {
            throw inconsistent(
              `${at}.type`,
              `buffer \`${type}\` holds \`${type}\` events only, not \`${record.type}\``,
              record.type,
            );
          }
          if (held.has(record.id)) {
            throw inconsistent(
              `${at}.id`,
              `event ${record.id} is collected twice in buffer \`${bufferId}\` of step \`${work.name}\``,
              type,
            );
          }
          held.add(record.id);
          return record;
        });
      }
      out[bufferId] = buffer;
    }
    return out;
  }

  /**
   * A step's waiters. A pending waiter's step is parked: its input is not queued or running. A
   * resolved or timed-out one has its step about to run again (its input is queued, running or
   * waiting to retry) or parked on a later wait. Each waiter's timer is its own.
   */
  #waiters(json: readonly WaiterJson[], base: string, work: StepWork): Waiter[] {
    const ids = new Set<string>();
    const parked = new Set<number>();
    const waiters = json.map((waiterJson, i): Waiter => {
      const path = `${base}.waiters[${i}]`;
      if (ids.has(waiterJson.id)) {
        throw inconsistent(
          `${path}.id`,
          `step \`${work.name}\` has two waiters \`${waiterJson.id}\``,
        );
      }
      ids.add(waiterJson.id);
      const waiter = this.#waiter(waiterJson, path, work.name);
      this.#noteInCollection(work.name, waiter.item);
      if (!waiter.resolved && !waiter.timedOut) {
        if (work.ids.has(waiter.item.event.id)) {
          throw inconsistent(
            `${path}.item`,
            `the waiter is pending, yet its step's input (event ${waiter.item.event.id}) is queued or running again`,
          );
        }
        parked.add(waiter.item.event.id);
      }
      return waiter;
    });
    for (const [i, waiter] of waiters.entries()) {
      const id = waiter.item.event.id;
      if ((waiter.resolved || waiter.timedOut) && !work.ids.has(id) && !parked.has(id)) {
        throw inconsistent(
          `${base}.waiters[${i}]`,
          `the waiter has ${waiter.resolved ? "resolved" : "timed out"}, but its step's input (event ${id}) is not queued, running, waiting to retry or waiting again, so the step would never go on`,
        );
      }
    }
    return waiters;
  }

  #waiter(json: WaiterJson, path: string, step: string): Waiter {
    const item = this.#item(json.item, `${path}.item`, step);
    const resolved = json.resolved && this.#record(json.resolved, `${path}.resolved`, true);
    if (resolved && resolved.type !== json.eventType) {
      throw inconsistent(
        `${path}.resolved.type`,
        `the waiter waits for \`${json.eventType}\`, not \`${resolved.type}\``,
        resolved.type,
      );
    }
    if (resolved && json.timedOut) {
      throw inconsistent(`${path}.timedOut`, "a waiter either resolves or times out, not both");
    }
    if (json.timerId !== null) {
      const key = `${step}\n${json.id}`;
      if (resolved || json.timedOut) {
        throw inconsistent(
          `${path}.timerId`,
          "a waiter that has resolved or timed out has no timer",
        );
      }
      if (this.#waiterTimers.get(key) !== json.timerId) {
        throw inconsistent(
          `${path}.timerId`,
          `timer \`${json.timerId}\` does not time out this waiter`,
        );
      }
      this.#waiterTimers.delete(key);
    }
    const requirements =
      json.requirements &&
      (this.#decode(json.requirements, `${path}.requirements`) as Record<string, unknown>);
    return {
      id: json.id,
      eventType: json.eventType,
      requirements,
      item,
      resolved,
      timedOut: json.timedOut,
      timerId: json.timerId,
    };
  }
}

/** A codec error with where in the snapshot the value sits added to its path and message. */
function located(error: unknown, at: string): unknown {
  if (!(error instanceof SnapshotError)) return error;
  const inner = error.path ?? "";
  const path = inner === "" ? at : inner.startsWith("[") ? at + inner : `${at}.${inner}`;
  return new SnapshotError(error.code, `${error.message} (at \`${path}\`)`, {
    path,
    ...(error.eventType ? { eventType: error.eventType } : {}),
    cause: error.cause ?? error,
  });
}
