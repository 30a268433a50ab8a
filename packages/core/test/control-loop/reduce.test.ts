import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Event, StartEvent, StopEvent, Workflow } from "@stepwise/core";
import {
  type Command,
  type EventRecord,
  encodeValue,
  initialRunState,
  LocalRuntime,
  type RunConfig,
  type RunJournal,
  type RunState,
  reduce,
  type Tick,
  workflowSpec,
} from "@stepwise/core/runtime";
import { z } from "zod";

const config: RunConfig = {
  steps: {
    start: { numWorkers: 1, maxRecoveries: null },
    work: { numWorkers: 2, maxRecoveries: null },
    handler: { numWorkers: 1, maxRecoveries: 1 },
  },
  routes: { StartEvent: ["start"], Job: ["work"], StepFailedEvent: ["handler"] },
  catchOwners: { work: "handler" },
  bindings: {},
};

let nextId = 0;
const record = (
  type: string,
  role: EventRecord["role"] = "event",
  value: unknown = { type },
): EventRecord => ({
  id: ++nextId,
  type,
  role,
  value,
});

function run(
  ticks: Tick[],
  state: RunState = initialRunState(config),
): { state: RunState; commands: Command[] } {
  let commands: Command[] = [];
  for (const tick of ticks) commands = reduce(state, tick, 1000).commands;
  return { state, commands };
}

const types = (commands: Command[]) => commands.map((c) => c.type);
const start: Tick = { type: "start", event: record("StartEvent", "start"), timeoutMs: 5000 };

describe("reduce", () => {
  const cases: { name: string; ticks: Tick[]; expect: string[] }[] = [
    {
      name: "start arms the run timeout and runs the start step",
      ticks: [start],
      expect: ["setTimer", "runWorker"],
    },
    {
      name: "an event with no acceptor is unhandled",
      ticks: [start, { type: "addEvent", event: record("Stray"), step: null, recoveries: null }],
      expect: ["unhandled"],
    },
    {
      name: "a stop result completes the run and disarms its timers",
      ticks: [
        start,
        {
          type: "stepResult",
          step: "start",
          workerId: 0,
          outcome: { kind: "event", event: record("StopEvent", "stop") },
        },
      ],
      expect: ["clearTimer", "complete"],
    },
    {
      name: "a failure with a delay arms a retry timer",
      ticks: [
        start,
        {
          type: "stepResult",
          step: "start",
          workerId: 0,
          outcome: { kind: "failed", error: { name: "Error", message: "x" }, retryDelayMs: 500 },
        },
      ],
      expect: ["setTimer"],
    },
    {
      name: "a failure without retry or handler fails the run",
      ticks: [
        start,
        {
          type: "stepResult",
          step: "start",
          workerId: 0,
          outcome: { kind: "failed", error: { name: "Error", message: "x" }, retryDelayMs: null },
        },
      ],
      expect: ["clearTimer", "fail"],
    },
    {
      name: "cancel disarms the timers and cancels",
      ticks: [start, { type: "cancel" }],
      expect: ["clearTimer", "cancelled"],
    },
    {
      name: "the run timeout times the run out",
      ticks: [start, { type: "timer", id: "timeout" }],
      expect: ["timedOut"],
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      assert.deepEqual(types(run(testCase.ticks).commands), testCase.expect);
    });
  }

  it("queues events beyond numWorkers and starts them as workers free up", () => {
    const state = initialRunState(config);
    run([start], state);
    const jobs = [record("Job"), record("Job"), record("Job")];
    const sent = jobs.map(
      (event) =>
        reduce(state, { type: "addEvent", event, step: null, recoveries: null }, 1000).commands,
    );
    assert.deepEqual(sent.map(types), [["runWorker"], ["runWorker"], ["enqueued"]]);
    assert.equal(state.queued, 1);
    const freed = reduce(
      state,
      { type: "stepResult", step: "work", workerId: 1, outcome: { kind: "none" } },
      1000,
    );
    const next = freed.commands.find((c) => c.type === "runWorker");
    assert.ok(next && next.type === "runWorker");
    assert.equal(next.workerId, 1);
    assert.equal(next.item.event, jobs[2]);
  });

  it("re-queues a retried item to the same step with its attempt counter grown", () => {
    const state = initialRunState(config);
    run([start, { type: "addEvent", event: record("Job"), step: null, recoveries: null }], state);
    const failed = reduce(
      state,
      {
        type: "stepResult",
        step: "work",
        workerId: 0,
        outcome: { kind: "failed", error: { name: "E", message: "m" }, retryDelayMs: 10 },
      },
      2000,
    );
    const timer = failed.commands.find((c) => c.type === "setTimer");
    assert.ok(timer && timer.type === "setTimer");
    assert.equal(timer.dueAt, 2010);
    const fired = reduce(state, { type: "timer", id: timer.id }, 2010).commands.find(
      (c) => c.type === "runWorker",
    );
    assert.ok(fired && fired.type === "runWorker");
    assert.equal(fired.step, "work");
    assert.equal(fired.item.attempts, 1);
    assert.equal(fired.item.lastError?.message, "m");
  });

  it("hands an exhausted failure to the @catchError owner within its recovery budget", () => {
    const state = initialRunState(config);
    run(
      [start, { type: "addEvent", event: record("Job"), step: null, recoveries: { handler: 0 } }],
      state,
    );
    const failure: Tick = {
      type: "stepResult",
      step: "work",
      workerId: 0,
      outcome: { kind: "failed", error: { name: "E", message: "m" }, retryDelayMs: null },
    };
    const recover = reduce(state, failure, 1000).commands.find((c) => c.type === "recover");
    assert.ok(recover && recover.type === "recover");
    assert.equal(recover.handler, "handler");
    assert.deepEqual(recover.recoveries, { handler: 1 });
    run(
      [{ type: "addEvent", event: record("Job"), step: null, recoveries: recover.recoveries }],
      state,
    );
    assert.deepEqual(types(reduce(state, failure, 1000).commands), ["clearTimer", "fail"]);
  });

  it("answers collect ticks with null until every expected event arrived", () => {
    const state = initialRunState(config);
    run([start, { type: "addEvent", event: record("Job"), step: null, recoveries: null }], state);
    const collect = (event: EventRecord) =>
      reduce(
        state,
        {
          type: "collect",
          step: "work",
          workerId: 0,
          bufferId: "default",
          event,
          expected: { Job: 2 },
        },
        1000,
      ).commands;
    const first = record("Job");
    const second = record("Job");
    assert.deepEqual(collect(first), [{ type: "collected", events: null }]);
    assert.deepEqual(collect(second), [{ type: "collected", events: { Job: [first, second] } }]);
    assert.deepEqual(state.steps.work?.collected.default, {});
  });

  it("frees a waiting step's worker and re-runs it when a matching event arrives", () => {
    const state = initialRunState(config);
    const job = record("Job");
    run([start, { type: "addEvent", event: job, step: null, recoveries: null }], state);
    const waiterEvent = record("Ask", "inputRequired");
    const waited = reduce(
      state,
      {
        type: "wait",
        step: "work",
        workerId: 0,
        waiter: { id: "Answer@1", eventType: "Answer", requirements: { id: 7 }, timeoutMs: null },
        waiterEvent,
      },
      1000,
    );
    assert.deepEqual(types(waited.commands), ["publish"]);
    assert.equal(state.steps.work?.workers[0], null);
    const wrong = reduce(
      state,
      {
        type: "addEvent",
        event: record("Answer", "event", { id: 8 }),
        step: null,
        recoveries: null,
      },
      1000,
    );
    assert.deepEqual(types(wrong.commands), ["unhandled"]);
    const right = reduce(
      state,
      {
        type: "addEvent",
        event: record("Answer", "event", { id: 7 }),
        step: null,
        recoveries: null,
      },
      1000,
    );
    const rerun = right.commands.find((c) => c.type === "runWorker");
    assert.ok(rerun && rerun.type === "runWorker");
    assert.equal(rerun.item.event, job);
  });

  it("schedules one idle check when the run goes quiet and reports idle only if still quiet", () => {
    const state = initialRunState(config);
    run([start], state);
    const quiet = reduce(
      state,
      { type: "stepResult", step: "start", workerId: 0, outcome: { kind: "none" } },
      1000,
    );
    assert.deepEqual(types(quiet.commands), ["scheduleIdleCheck"]);
    assert.deepEqual(types(reduce(state, { type: "idleCheck" }, 1000).commands), ["idle"]);
    assert.deepEqual(types(reduce(state, { type: "idleCheck" }, 1000).commands), []);
  });

  it("ignores every tick but resume once the run has ended", () => {
    const state = initialRunState(config);
    run([start, { type: "cancel" }], state);
    assert.deepEqual(
      types(
        reduce(
          state,
          { type: "addEvent", event: record("Job"), step: null, recoveries: null },
          1000,
        ).commands,
      ),
      [],
    );
  });

  it("puts in-flight items back at the head of their queues on resume", () => {
    const state = initialRunState(config);
    const job = record("Job");
    run(
      [start, { type: "addEvent", event: job, step: null, recoveries: null }, { type: "cancel" }],
      state,
    );
    const resumed = reduce(state, { type: "resume", timeoutMs: null }, 5000);
    const started = resumed.commands
      .filter((c) => c.type === "runWorker")
      .map((c) => (c.type === "runWorker" ? c.step : ""));
    assert.deepEqual(started.sort(), ["start", "work"]);
    assert.equal(state.status, "running");
  });
});

describe("replay", () => {
  class Hop extends Event.define({ n: z.number() }) {}
  class Part extends Event.define({ i: z.number() }) {}

  it("rebuilds a finished run's final state from its recorded ticks", async () => {
    const journal: { tick: Tick; now: number }[] = [];
    class Recording extends LocalRuntime {
      protected override openJournal(): RunJournal {
        return {
          append: (batch) => {
            for (const { tick, at } of batch.entries) journal.push({ tick, now: at });
          },
        };
      }
    }
    const runtime = new Recording();
    const parts = [Part, Part, Part];
    const wf = new Workflow({ runtime })
      .addStep("start", { accepts: StartEvent, emits: Hop }, () => new Hop({ n: 0 }))
      .addStep("hop", { accepts: Hop, emits: [Hop, Part] }, (ev, ctx) => {
        if (ev.n < 5) return new Hop({ n: ev.n + 1 });
        for (let i = 0; i < 3; i++) ctx.sendEvent(new Part({ i }));
        return null;
      })
      .addStep("gather", { accepts: Part, emits: StopEvent }, async (ev, ctx) => {
        const all = ctx.collectEvents(ev, parts);
        return all ? new StopEvent({ result: all.map((p) => p.i) }) : null;
      });
    const handler = wf.run();
    assert.deepEqual(await handler, [0, 1, 2]);
    const replayed = initialRunState(workflowSpec(wf).config);
    for (const { tick, now } of journal) reduce(replayed, tick, now);
    const live = (await import("@stepwise/core/runtime")).runnerOf(handler.ctx)?.state;
    assert.ok(live);
    assert.deepEqual(encodeValue(replayed), encodeValue(live));
    assert.equal(replayed.status, "completed");
    assert.ok(journal.length > 10);
  });
});
