/**
 * The tick codec as a wire format: one sample of every kind of tick is encoded and compared
 * with the golden file `fixtures/ticks.json`, and the file is decoded back. A change to the format
 * is a visible diff of that file. `UPDATE_FIXTURES=1` rewrites it from the samples.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  Event,
  HumanResponseEvent,
  InputRequiredEvent,
  JournalError,
  nonRetryable,
  StartEvent,
  StepFailedEvent,
  WorkflowRuntimeError,
} from "@stepwise/core";
import {
  createErrorRegistry,
  createEventRegistry,
  decodePublished,
  decodeTick,
  encodePublished,
  encodeTick,
  type Tick,
} from "@stepwise/core/runtime";
import { z } from "zod";

const FIXTURE = new URL("./fixtures/ticks.json", import.meta.url);

class Hop extends Event.define({ n: z.number() }) {}
class Part extends Event.define({ i: z.number(), at: z.date() }) {}
class Ask extends InputRequiredEvent.define({ question: z.string() }) {}
class Answer extends HumanResponseEvent.define({ user: z.string(), since: z.date() }) {}
class Progress extends Event.define({ percent: z.number() }) {}

class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    message: string,
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const registry = createEventRegistry([Hop, Part, Ask, Answer, Progress]);
const errors = createErrorRegistry([HttpError]);
const steps = new Set(["begin", "hop", "gather", "ask", "recover"]);

/** An error with a stack that is the same on every machine. */
function fixed<E extends Error>(error: E): E {
  error.stack = `${error.name}: ${error.message}\n    at step (flow.ts:1:1)`;
  return error;
}

function record(id: number, event: Event) {
  const cls = event.constructor as typeof Event;
  const role = cls === StartEvent ? "start" : cls === Ask ? "inputRequired" : "event";
  return { id, type: cls.eventType, role, value: event } as const;
}

const when = new Date("2026-01-02T03:04:05.678Z");
const http = () =>
  fixed(
    nonRetryable(
      new HttpError("upstream said no", 503, { cause: fixed(new TypeError("fetch failed")) }),
    ),
  );

const raced = fixed(
  new WorkflowRuntimeError(
    "raceAfterWait",
    { step: "ask", how: "went on after a wait" },
    // A message of its own, so that the golden file does not change with the wording of messages.
    { message: "step `ask` went on after a wait" },
  ),
);

/** One sample or more of every kind of tick; a kind added to `Tick` fails to compile here. */
const samples: { [K in Tick["type"]]: Record<string, Extract<Tick, { type: K }>> } = {
  start: {
    start: {
      type: "start",
      event: record(1, new StartEvent({ topic: "pirates" })),
      timeoutMs: 60_000,
    },
  },
  resume: { resume: { type: "resume", timeoutMs: null } },
  annotate: { annotate: { type: "annotate", key: "otel.traceparent", value: "00-abc-def-01" } },
  addEvent: {
    addEvent: {
      type: "addEvent",
      event: record(2, new Hop({ n: 1 })),
      step: null,
      recoveries: null,
    },
    "addEvent.recovery": {
      type: "addEvent",
      event: {
        id: 9,
        type: "StepFailedEvent",
        role: "stepFailed",
        value: new StepFailedEvent({
          stepName: "hop",
          inputEvent: new Hop({ n: 3 }),
          error: http(),
          attempts: 3,
          elapsedSeconds: 1.5,
          failedAt: when,
        }),
      },
      step: "recover",
      recoveries: { recover: 1 },
      scope: [{ stream: "c1", index: 2 }],
    },
  },
  stepResult: {
    "stepResult.event": {
      type: "stepResult",
      step: "hop",
      workerId: 0,
      outcome: { kind: "event", event: record(3, new Hop({ n: 2 })) },
    },
    "stepResult.events": {
      type: "stepResult",
      step: "begin",
      workerId: 1,
      outcome: {
        kind: "events",
        events: [record(4, new Part({ i: 0, at: when })), record(5, new Part({ i: 1, at: when }))],
      },
    },
    "stepResult.none": {
      type: "stepResult",
      step: "gather",
      workerId: 0,
      outcome: { kind: "none" },
    },
    "stepResult.failed": {
      type: "stepResult",
      step: "hop",
      workerId: 2,
      outcome: {
        kind: "failed",
        error: { name: "HttpError", message: "upstream said no", value: http() },
        retryDelayMs: 250,
      },
    },
  },
  collect: {
    collect: {
      type: "collect",
      step: "gather",
      workerId: 0,
      bufferId: "gather:0",
      event: record(5, new Part({ i: 1, at: when })),
      expected: { Part: 2 },
    },
  },
  wait: {
    wait: {
      type: "wait",
      step: "ask",
      workerId: 0,
      waiter: {
        id: "w1",
        eventType: "Answer",
        requirements: { user: "ada", since: when },
        timeoutMs: 5_000,
      },
      waiterEvent: record(6, new Ask({ question: "name?" })),
    },
  },
  timer: { timer: { type: "timer", id: "retry:1" } },
  cancel: { cancel: { type: "cancel" } },
  fault: {
    fault: {
      type: "fault",
      step: "ask",
      error: { name: raced.name, message: raced.message, value: raced },
    },
  },
  crash: {
    crash: {
      type: "crash",
      error: {
        name: "AggregateError",
        message: "two things broke",
        value: fixed(new AggregateError([fixed(new RangeError("one")), "two"], "two things broke")),
      },
    },
  },
  write: { write: { type: "write", event: new Progress({ percent: 50 }) } },
  store: {
    store: { type: "store", data: { count: 2, names: ["a", "b"], seenAt: when, none: null } },
  },
  idleCheck: { idleCheck: { type: "idleCheck" } },
};

const named: [string, Tick][] = Object.values(samples).flatMap((group) =>
  Object.entries(group as Record<string, Tick>),
);

function encodeAll(): Record<string, unknown> {
  return Object.fromEntries(named.map(([name, tick]) => [name, encodeTick(tick)]));
}

if (process.env.UPDATE_FIXTURES === "1") {
  const file = { format: "stepwise.ticks", version: 1, ticks: encodeAll() };
  writeFileSync(FIXTURE, `${JSON.stringify(file, null, 2)}\n`);
}

const golden = JSON.parse(readFileSync(FIXTURE, "utf8")) as {
  format: string;
  version: number;
  ticks: Record<string, unknown>;
};

const decode = (json: unknown) => decodeTick(json, registry, { errors, steps });

describe("tick codec", () => {
  it("encodes every sample tick exactly as the golden file has it", () => {
    assert.equal(golden.format, "stepwise.ticks");
    assert.equal(golden.version, 1);
    assert.deepEqual(Object.keys(golden.ticks), Object.keys(encodeAll()));
    for (const [name, tick] of named) {
      assert.equal(
        JSON.stringify(encodeTick(tick)),
        JSON.stringify(golden.ticks[name]),
        `tick \`${name}\` encodes as the golden file has it (run with UPDATE_FIXTURES=1 if the change is meant)`,
      );
    }
  });

  it("encodes the same tick to the same text every time", () => {
    for (const [, tick] of named) {
      assert.equal(JSON.stringify(encodeTick(tick)), JSON.stringify(encodeTick(tick)));
    }
  });

  it("decodes every golden tick back to one that encodes the same", () => {
    for (const [name, json] of Object.entries(golden.ticks)) {
      const tick = decode(JSON.parse(JSON.stringify(json)));
      assert.deepEqual(encodeTick(tick), json, `tick \`${name}\` round-trips`);
    }
  });

  it("revives events as instances of the workflow's classes", () => {
    const tick = decode(golden.ticks["stepResult.events"]);
    assert.equal(tick.type, "stepResult");
    if (tick.type !== "stepResult" || tick.outcome.kind !== "events") return;
    const [first] = tick.outcome.events;
    assert.ok(first?.value instanceof Part);
    assert.equal((first.value as Part).i, 0);
    assert.deepEqual((first.value as Part).at, when);
  });

  it("revives a step's error with its class, fields, cause and nonRetryable flag", () => {
    const tick = decode(golden.ticks["stepResult.failed"]);
    if (tick.type !== "stepResult" || tick.outcome.kind !== "failed") {
      assert.fail("not a failed step result");
    }
    const error = tick.outcome.error.value as HttpError & { nonRetryable?: boolean };
    assert.ok(error instanceof HttpError);
    assert.equal(error.name, "HttpError");
    assert.equal(error.message, "upstream said no");
    assert.equal(error.status, 503);
    assert.equal(error.nonRetryable, true);
    assert.ok(error.cause instanceof TypeError);
    assert.equal((error.cause as Error).message, "fetch failed");
    assert.equal(error.stack, "HttpError: upstream said no\n    at step (flow.ts:1:1)");
  });

  it("revives the error inside a recovery's StepFailedEvent", () => {
    const tick = decode(golden.ticks["addEvent.recovery"]);
    if (tick.type !== "addEvent") assert.fail("not an addEvent tick");
    const ev = tick.event.value as StepFailedEvent;
    assert.ok(ev instanceof StepFailedEvent);
    assert.ok(ev.inputEvent instanceof Hop);
    assert.ok(ev.error instanceof Error);
    assert.equal(ev.error.message, "upstream said no");
    assert.deepEqual(tick.scope, [{ stream: "c1", index: 2 }]);
  });

  it("revives stepwise's own errors and AggregateError as themselves", () => {
    const fault = decode(golden.ticks.fault);
    if (fault.type !== "fault") assert.fail("not a fault tick");
    assert.ok(fault.error.value instanceof WorkflowRuntimeError);
    const crash = decode(golden.ticks.crash);
    if (crash.type !== "crash") assert.fail("not a crash tick");
    const aggregate = crash.error.value as AggregateError;
    assert.ok(aggregate instanceof AggregateError);
    assert.ok(aggregate.errors[0] instanceof RangeError);
    assert.equal(aggregate.errors[1], "two");
  });

  it("round-trips a published entry", () => {
    const entry = { seq: 4, event: new Progress({ percent: 10 }), internal: false };
    const json = JSON.parse(JSON.stringify(encodePublished(entry)));
    assert.deepEqual(json, {
      seq: 4,
      internal: false,
      event: { type: "Progress", data: { percent: 10 } },
    });
    const back = decodePublished(json, registry);
    assert.ok(back.event instanceof Progress);
    assert.equal(back.seq, 4);
  });
});

/** The `JournalError` that decoding `json` throws. */
function decodeError(json: unknown, options: Parameters<typeof decodeTick>[2] = {}): JournalError {
  try {
    decodeTick(json, registry, { errors, steps, runId: "r1", entry: 7, ...options });
  } catch (error) {
    assert.ok(error instanceof JournalError, `a JournalError, not ${String(error)}`);
    return error;
  }
  assert.fail("decoding did not throw");
}

function edited(name: string, edit: (json: any) => void): unknown {
  const json = JSON.parse(JSON.stringify(golden.ticks[name]));
  edit(json);
  return json;
}

describe("tick codec: bad input", () => {
  it("refuses a tick with a missing field, naming the field", () => {
    const error = decodeError(edited("stepResult.event", (json) => delete json.workerId));
    assert.equal(error.code, "malformed");
    assert.equal(error.path, "workerId");
    assert.equal(error.runId, "r1");
    assert.equal(error.entry, 7);
  });

  it("refuses a kind of tick it does not know", () => {
    const error = decodeError({ type: "teleport" });
    assert.equal(error.code, "malformed");
    assert.equal(error.path, "type");
  });

  it("refuses an event whose type the workflow has no class for", () => {
    const json = edited("addEvent", (tick) => {
      tick.event.type = "Gone";
      tick.event.value.type = "Gone";
    });
    const error = decodeError(json);
    assert.equal(error.code, "unknownEventType");
    assert.equal(error.eventType, "Gone");
  });

  it("refuses an event whose fields fail its schema", () => {
    const error = decodeError(edited("addEvent", (tick) => (tick.event.value.data.n = "one")));
    assert.equal(error.code, "invalidEvent");
    assert.equal(error.eventType, "Hop");
  });

  it("refuses a record whose role is not its event's", () => {
    const error = decodeError(edited("addEvent", (tick) => (tick.event.role = "stop")));
    assert.equal(error.code, "inconsistent");
    assert.equal(error.path, "event.role");
  });

  it("refuses a tick naming a step the workflow no longer has", () => {
    const error = decodeError(golden.ticks["stepResult.event"], { steps: new Set(["begin"]) });
    assert.equal(error.code, "unknownStep");
    assert.equal(error.step, "hop");
  });

  it("refuses a malformed failure record, naming the field", () => {
    const json = edited("stepResult.failed", (tick) => (tick.outcome.error.failure.message = 42));
    const error = decodeError(json);
    assert.equal(error.code, "malformed");
    assert.equal(error.path, "outcome.error.failure.message");
  });

  it("refuses to write an event holding a function, naming the field", () => {
    class Holder extends Event.define({ fn: z.any() }) {}
    const tick: Tick = {
      type: "addEvent",
      event: { id: 1, type: "Holder", role: "event", value: new Holder({ fn: () => 1 }) },
      step: null,
      recoveries: null,
    };
    assert.throws(
      () => encodeTick(tick),
      (error) => error instanceof JournalError && error.code === "unserializable",
    );
  });
});
