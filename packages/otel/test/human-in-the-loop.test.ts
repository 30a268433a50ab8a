import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import {
  type Context,
  Event,
  HumanResponseEvent,
  InMemoryRuntime,
  InputRequiredEvent,
  Context as RunContext,
  type RunObserver,
  StartEvent,
  StopEvent,
  TestClock,
  Workflow,
  type WorkflowHandler,
  WorkflowTimeoutError,
} from "@stepwise/core";
import {
  type JournalEntry,
  LocalRuntime,
  type RunInfo,
  type RunJournal,
  type StoredRun,
} from "@stepwise/core/runtime";
import {
  ATTR_EVENT_TYPE,
  ATTR_RUN_ID,
  ATTR_RUN_RESUMED,
  ATTR_STEP_RERUN,
  ATTR_WAIT_EVENT,
  ATTR_WAIT_ID,
  ATTR_WAIT_STEP,
  ATTR_WAIT_TIMED_OUT,
  ATTR_WAIT_TIMEOUT_MS,
  EVENT_INPUT_REQUIRED,
  EVENT_WAIT_ENDED,
  EVENT_WAIT_STARTED,
} from "@stepwise/otel";
import { z } from "zod";
import { isChildOf, spanTree, tracing } from "./tracing.ts";

class Ask extends InputRequiredEvent.define({ question: z.string() }) {}
class Reply extends HumanResponseEvent.define({ answer: z.string() }) {}
class Draft extends Event.define({ text: z.string() }) {}

/** `draft`, then `approve` waits for a `Reply` (`timeout` seconds) and stops with it. */
function approval(
  observers: readonly RunObserver[],
  options: { runtime?: LocalRuntime; timeout?: number | null } = {},
) {
  const wf = new Workflow({
    name: "Approval",
    timeout: null,
    observers,
    ...(options.runtime ? { runtime: options.runtime } : {}),
  });
  wf.addStep("draft", { accepts: StartEvent, emits: Draft }, () => new Draft({ text: "v1" }));
  wf.addStep("approve", { accepts: Draft, emits: StopEvent }, async (ev: Draft, ctx: Context) => {
    try {
      const reply = await ctx.waitForEvent(Reply, {
        waiterEvent: new Ask({ question: `approve ${ev.text}?` }),
        timeout: options.timeout === undefined ? null : options.timeout,
      });
      return new StopEvent({ result: reply.answer });
    } catch (error) {
      if (error instanceof WorkflowTimeoutError) return new StopEvent({ result: "no answer" });
      throw error;
    }
  });
  return wf;
}

/** Reads the run's stream up to its first `Ask`. */
async function untilAsked(handler: WorkflowHandler): Promise<void> {
  for await (const ev of handler.streamEvents()) if (ev instanceof Ask) return;
}

/** A copy of journal data as appended: plain objects and arrays copied, events and errors kept. */
function copied<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(copied) as T;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copied(v)])) as T;
}

function eventsOf(span: ReadableSpan) {
  return span.events.map((event) => [event.name, event.attributes]);
}

describe("human in the loop", () => {
  it("traces a step waiting for a human as a waiting span, and its re-run with the answer as another", async () => {
    const t = tracing();
    const handler = approval([t.observer]).run();
    await untilAsked(handler);
    handler.sendEvent(new Reply({ answer: "yes" }));
    assert.equal(await handler, "yes");
    assert.equal(
      spanTree(t.spans()),
      [
        "workflow.run Approval [completed]",
        "  workflow.step draft [event]",
        "  workflow.step approve [waiting]",
        "  workflow.step approve [event]",
      ].join("\n"),
    );
    const run = t.one("workflow.run Approval");
    const [waited, answered] = t.named("workflow.step approve") as [ReadableSpan, ReadableSpan];
    assert.ok(isChildOf(waited, run) && isChildOf(answered, run));
    assert.equal(waited.attributes[ATTR_STEP_RERUN], undefined);
    assert.equal(answered.attributes[ATTR_STEP_RERUN], true);
    const waiter = { [ATTR_WAIT_STEP]: "approve", [ATTR_WAIT_ID]: "Reply:null@2" };
    assert.deepEqual(eventsOf(waited), [
      [EVENT_WAIT_STARTED, { ...waiter, [ATTR_WAIT_EVENT]: "Reply" }],
    ]);
    assert.deepEqual(eventsOf(run), [
      [EVENT_WAIT_STARTED, { ...waiter, [ATTR_WAIT_EVENT]: "Reply" }],
      [EVENT_WAIT_ENDED, { ...waiter, [ATTR_WAIT_TIMED_OUT]: false }],
    ]);
  });

  it("records a wait that timed out, with its timeout", async () => {
    const t = tracing();
    const clock = new TestClock();
    const wf = approval([t.observer], { runtime: new InMemoryRuntime({ clock }), timeout: 30 });
    const handler = wf.run();
    await clock.advance(30_000);
    assert.equal(await handler, "no answer");
    const run = t.one("workflow.run Approval");
    assert.deepEqual(
      eventsOf(run).map(([name, attributes]) => [
        name,
        (attributes as Record<string, unknown>)[ATTR_WAIT_TIMEOUT_MS],
        (attributes as Record<string, unknown>)[ATTR_WAIT_TIMED_OUT],
      ]),
      [
        [EVENT_WAIT_STARTED, 30_000, undefined],
        [EVENT_WAIT_ENDED, undefined, true],
      ],
    );
  });

  it("puts each wait on its own run when runs of one workflow wait on the same waiter", async () => {
    const t = tracing();
    const wf = approval([t.observer]);
    const handlers = [wf.run(), wf.run(), wf.run()];
    await Promise.all(handlers.map(untilAsked));
    for (const [i, handler] of handlers.entries())
      handler.sendEvent(new Reply({ answer: `yes ${i}` }));
    assert.deepEqual(await Promise.all(handlers), ["yes 0", "yes 1", "yes 2"]);
    for (const handler of handlers) {
      const run = t
        .named("workflow.run Approval")
        .find((span) => span.attributes[ATTR_RUN_ID] === handler.runId) as ReadableSpan;
      assert.deepEqual(
        run.events.map((event) => event.name),
        [EVENT_WAIT_STARTED, EVENT_WAIT_ENDED],
      );
    }
  });

  it("marks a returned InputRequiredEvent on the run span", async () => {
    const t = tracing();
    const wf = new Workflow({ name: "Interview", observers: [t.observer] });
    wf.addStep("ask", { accepts: StartEvent, emits: Ask }, () => new Ask({ question: "name?" }));
    wf.addStep("greet", { accepts: Reply, emits: StopEvent }, (ev: Reply) => {
      return new StopEvent({ result: `hello ${ev.answer}` });
    });
    const handler = wf.run();
    await untilAsked(handler);
    handler.sendEvent(new Reply({ answer: "Ada" }));
    assert.equal(await handler, "hello Ada");
    assert.equal(
      spanTree(t.spans()),
      [
        "workflow.run Interview [completed]",
        "  workflow.step ask [event]",
        "  workflow.step greet [event]",
      ].join("\n"),
    );
    assert.deepEqual(eventsOf(t.one("workflow.run Interview")), [
      [EVENT_INPUT_REQUIRED, { [ATTR_EVENT_TYPE]: "Ask" }],
    ]);
  });
});

describe("resumed runs", () => {
  it("link to the run span they were snapshotted from, in this process", async () => {
    const t = tracing();
    const first = approval([t.observer]).run();
    await untilAsked(first);
    const snapshot = JSON.parse(JSON.stringify(first.ctx.toJSON()));
    await first.cancel().catch(() => {});
    const wf = approval([t.observer]);
    const resumed = wf.run(undefined, { ctx: RunContext.fromJSON(wf, snapshot) });
    resumed.sendEvent(new Reply({ answer: "later" }));
    assert.equal(await resumed, "later");
    const [before, after] = t.named("workflow.run Approval") as [ReadableSpan, ReadableSpan];
    assert.equal(before.attributes[ATTR_RUN_RESUMED], false);
    assert.equal(after.attributes[ATTR_RUN_RESUMED], true);
    assert.equal(after.attributes[ATTR_RUN_ID], before.attributes[ATTR_RUN_ID]);
    assert.deepEqual(
      after.links.map((link) => link.context.spanId),
      [before.spanContext().spanId],
    );
    assert.equal(
      spanTree([after, ...t.spans().filter((span) => isChildOf(span, after))]),
      ["workflow.run Approval [completed]", "  workflow.step approve [event]"].join("\n"),
    );
  });

  it("recovered from a journal by another process carry the run id and `resumed`", async () => {
    // Journals to memory, as a durable runtime would to disk: ticks copied as appended.
    const disk = new Map<string, { info: RunInfo; entries: JournalEntry[]; ended: boolean }>();
    class MemoryJournal extends LocalRuntime {
      protected override openJournal(info: RunInfo): RunJournal {
        const record = { info, entries: [] as JournalEntry[], ended: false };
        disk.set(info.runId, record);
        return {
          append: (batch) => {
            record.entries.push(...copied(batch.entries));
            if (batch.ended) record.ended = true;
          },
        };
      }
      protected override async loadUnfinished(): Promise<readonly StoredRun[]> {
        return [...disk.values()]
          .filter((run) => !run.ended)
          .map((run) => ({ ...run.info, entries: run.entries, published: [] }));
      }
    }
    const before = tracing();
    const first = approval([before.observer], { runtime: new MemoryJournal() }).run();
    await untilAsked(first);
    // The first process stops here; another one recovers the run from the journal.
    const after = tracing();
    const runtime = new MemoryJournal();
    const [recovered] = await runtime.recover([approval([after.observer], { runtime })]);
    recovered?.sendEvent(new Reply({ answer: "recovered" }));
    assert.equal(await recovered, "recovered");
    const run = after.one("workflow.run Approval");
    assert.equal(run.attributes[ATTR_RUN_RESUMED], true);
    assert.equal(run.attributes[ATTR_RUN_ID], first.runId);
    assert.equal(
      spanTree(after.spans()),
      ["workflow.run Approval [completed]", "  workflow.step approve [event]"].join("\n"),
    );
    await first.cancel();
    // The first run's span context was kept with the run (an annotation in its journal).
    const earlier = before.one("workflow.run Approval").spanContext();
    assert.deepEqual(
      run.links.map((link) => [link.context.traceId, link.context.spanId]),
      [[earlier.traceId, earlier.spanId]],
    );
  });

  it("resumed from a snapshot by another tracer link to the span the snapshot kept", async () => {
    const before = tracing();
    const first = approval([before.observer]).run();
    await untilAsked(first);
    const snapshot = JSON.parse(JSON.stringify(first.ctx.toJSON()));
    await first.cancel().catch(() => {});
    const after = tracing();
    const wf = approval([after.observer]);
    const resumed = wf.run(undefined, { ctx: RunContext.fromJSON(wf, snapshot) });
    resumed.sendEvent(new Reply({ answer: "later" }));
    assert.equal(await resumed, "later");
    const earlier = before.one("workflow.run Approval").spanContext();
    assert.deepEqual(
      after.one("workflow.run Approval").links.map((link) => link.context.spanId),
      [earlier.spanId],
    );
  });
});
