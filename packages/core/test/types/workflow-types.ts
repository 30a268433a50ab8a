/**
 * Type tests: compiled by `tsc --noEmit` in CI, never run. They prove that a run is typed end to
 * end: `run()`'s input and `await handler` follow the start and stop events (inferred by
 * `addStep`, declared by `extends Workflow<TStart, TResult>` and checked by `@step`), and that
 * `collectEvents`, `ev.get`, `fanOut`, `collect` and `join` are typed. Each `@ts-expect-error`
 * proves a rejection.
 */
import {
  catchError,
  Event,
  getWorkflowGraph,
  StartEvent,
  type StepFailedEvent,
  StopEvent,
  step,
  Workflow,
  type WorkflowHandler,
  WorkflowTestRunner,
} from "@stepwise/core";
import { z } from "zod";

/** `true` when `A` and `B` are the same type (`any` is only equal to `any`). */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | undefined {
  return undefined;
}

class Query extends StartEvent.define({ query: z.string(), limit: z.number().default(10) }) {}
class Answer extends StopEvent.define({ answer: z.string() }) {}
class Other extends StopEvent.define({ reason: z.string() }) {}
class TextStop extends StopEvent.define({ result: z.string() }) {}
class Found extends Event.define({ hits: z.array(z.string()) }) {}
class Task extends Event.define({ n: z.number() }) {}
class Done extends Event.define({ n: z.number() }) {}
class Part extends Event.define({ label: z.string() }) {}

// ---------------------------------------------------------------------------------------------
// The function API infers the start input and the result from its steps.

const oneStep = new Workflow().addStep(
  "answer",
  { accepts: Query, emits: Answer },
  (ev) => new Answer({ answer: ev.query }),
);
oneStep satisfies Workflow<{ query: string; limit?: number }, Answer>;
oneStep.run({ query: "q" }) satisfies WorkflowHandler<Answer>;
oneStep.run({ query: "q", limit: 3 });
oneStep.run(new Query({ query: "q" }));
// @ts-expect-error `query` of the start event is a string
oneStep.run({ query: 1 });
// @ts-expect-error `limit` of the start event is a number
oneStep.run({ query: "q", limit: "3" });

export async function inferredResult() {
  const answer = await oneStep.run({ query: "q" });
  answer.answer satisfies string;
  expectType<Equal<typeof answer, Answer>>();
  // @ts-expect-error the result is the typed stop event, which has no `other`
  answer.other;
}

// Steps in between change nothing; the start comes from the first step, the result from the last.
const chain = new Workflow()
  .addStep("search", { accepts: Query, emits: Found }, (ev) => new Found({ hits: [ev.query] }))
  .addStep("answer", { accepts: Found, emits: Answer }, (ev) => {
    return new Answer({ answer: ev.hits.join(", ") });
  });
chain.run({ query: "q" }) satisfies WorkflowHandler<Answer>;
// @ts-expect-error `query` is required by the start event
chain.run({ limit: 1 });

// A typed `result` field (StopEvent.define({ result })) resolves to the event, whose `result` is typed.
export async function typedResultField() {
  const wf = new Workflow().addStep(
    "go",
    { accepts: StartEvent, emits: TextStop },
    () => new TextStop({ result: "r" }),
  );
  const stop = await wf.run({ anything: 1 });
  expectType<Equal<typeof stop, TextStop>>();
  expectType<Equal<typeof stop.result, string>>();
}

// The plain `StopEvent` resolves to its `result`, which is `any`; `StartEvent` takes any fields.
export async function plainEvents() {
  const wf = new Workflow().addStep(
    "go",
    { accepts: StartEvent, emits: StopEvent },
    (ev) => new StopEvent({ result: ev.topic }),
  );
  const result = await wf.run({ topic: "pirates", n: 1 });
  expectType<Equal<typeof result, any>>();
  wf.run();
}

// Explicit generics on a function workflow stay when its steps use the plain events.
new Workflow<{ topic: string }, string>()
  .addStep(
    "go",
    { accepts: StartEvent, emits: StopEvent },
    (ev) => new StopEvent({ result: ev.topic }),
  )
  .run({ topic: "t" }) satisfies WorkflowHandler<string>;
new Workflow<{ topic: string }, string>()
  .addStep("go", { accepts: StartEvent, emits: StopEvent }, () => null)
  // @ts-expect-error `topic` is a string
  .run({ topic: 1 });

// Two steps that may stop with the same class: the result is that class.
const either = new Workflow()
  .addStep("go", { accepts: Query, emits: [Found, Answer] }, (ev) =>
    ev.limit > 0 ? new Found({ hits: [] }) : new Answer({ answer: "none" }),
  )
  .addStep("more", { accepts: Found, emits: Answer }, () => new Answer({ answer: "a" }));
export async function eitherResult() {
  const answer = await either.run({ query: "q" });
  expectType<Equal<typeof answer, Answer>>();
}

// A subclass keeps its own type (and declared generics) through `addStep`.
class WithField extends Workflow<{ query: string }, Answer> {
  label = "x";
}
new WithField().addStep("go", { accepts: Query, emits: Answer }, () => new Answer({ answer: "a" }))
  .label satisfies string;

// ---------------------------------------------------------------------------------------------
// A class declares `extends Workflow<TStart, TResult>`; `@step` checks its start and stop events.

export class Rag extends Workflow<{ query: string }, Answer> {
  @step({ accepts: Query, emits: Found })
  search(ev: Query) {
    return new Found({ hits: [ev.query] });
  }

  @step({ accepts: Found, emits: Answer })
  answer(ev: Found) {
    return new Answer({ answer: ev.hits.join(", ") });
  }
}
new Rag().run({ query: "q" }) satisfies WorkflowHandler<Answer>;
// @ts-expect-error `query` is a string
new Rag().run({ query: 1 });
export async function classResult() {
  const answer = await new Rag().run({ query: "q" });
  expectType<Equal<typeof answer, Answer>>();
}

export class PlainResult extends Workflow<{ topic: string }, string> {
  @step({ accepts: StartEvent, emits: StopEvent })
  go(ev: StartEvent) {
    return new StopEvent({ result: String(ev.topic) });
  }
}
new PlainResult().run({ topic: "t" }) satisfies WorkflowHandler<string>;

export class WrongStartFields extends Workflow<{ query: number }, Answer> {
  // @ts-expect-error `TStart` says `query` is a number, but the start event wants a string
  @step({ accepts: Query, emits: Answer })
  go(ev: Query) {
    return new Answer({ answer: ev.query });
  }
}

export class MissingStartField extends Workflow<{ limit: number }, Answer> {
  // @ts-expect-error `TStart` lacks the start event's required `query`
  @step({ accepts: Query, emits: Answer })
  go(ev: Query) {
    return new Answer({ answer: ev.query });
  }
}

export class WrongStopClass extends Workflow<{ query: string }, Answer> {
  // @ts-expect-error the run would end with an `Other`, not the declared `Answer`
  @step({ accepts: Query, emits: Other })
  go() {
    return new Other({ reason: "r" });
  }
}

export class StopInsteadOfTypedStop extends Workflow<{ query: string }, Answer> {
  // @ts-expect-error `StopEvent` resolves to its `result` (a string here), not to an `Answer`
  @step({ accepts: Query, emits: StopEvent })
  go(ev: Query) {
    return new StopEvent({ result: ev.query });
  }
}

export class WrongPlainResult extends Workflow<{ topic: string }, string> {
  // @ts-expect-error the `StopEvent`'s result is a number, but `TResult` is a string
  @step({ accepts: StartEvent, emits: StopEvent })
  go() {
    return new StopEvent({ result: 42 });
  }
}

export class TypedStopForPlainResult extends Workflow<{ topic: string }, string> {
  // @ts-expect-error a typed stop resolves to the event itself, not to a string
  @step({ accepts: StartEvent, emits: Answer })
  go() {
    return new Answer({ answer: "a" });
  }
}

export class CatchErrorResult extends Workflow<{ query: string }, Answer> {
  @step({ accepts: Query, emits: Answer })
  go(ev: Query) {
    return new Answer({ answer: ev.query });
  }

  @catchError({ emits: Answer })
  recover(ev: StepFailedEvent) {
    return new Answer({ answer: ev.error.message });
  }

  // @ts-expect-error a recovery that stops with `Other` would not give the declared `Answer`
  @catchError({ emits: Other })
  recoverWrongly() {
    return new Other({ reason: "r" });
  }
}

// A class generic in `TStart` or `TResult` is checked through their constraints, as TypeScript
// checks generics: steps that neither start nor stop the run, or use the plain events, always fit.
export abstract class GenericBase<TStart extends { query: string }, TResult> extends Workflow<
  TStart,
  TResult
> {
  @step({ accepts: Query, emits: Found })
  search(ev: Query) {
    return new Found({ hits: [ev.query] });
  }

  @step({ accepts: Found, emits: StopEvent })
  finish() {
    return new StopEvent();
  }
}
export abstract class GenericUnconstrained<TStart, TResult> extends Workflow<TStart, TResult> {
  // @ts-expect-error `TStart` may be any type, which need not fit the start event's fields
  @step({ accepts: Query, emits: Found })
  search(ev: Query) {
    return new Found({ hits: [ev.query] });
  }

  // @ts-expect-error a string result need not be a `TResult`
  @step({ accepts: Found, emits: StopEvent })
  finish() {
    return new StopEvent({ result: "done" });
  }
}
export class GenericState<TState> extends Workflow<{ query: string }, number, TState> {
  @step({ accepts: Query, emits: StopEvent })
  count(ev: Query) {
    return new StopEvent({ result: ev.query.length });
  }
}

// The default `Workflow` generics check nothing, and a step between start and stop is never checked.
export class Untyped extends Workflow {
  @step({ accepts: Query, emits: Other })
  go() {
    return new Other({ reason: "r" });
  }
}

// ---------------------------------------------------------------------------------------------
// fanOut, collect and join type the step's return and first parameter.

new Workflow()
  .addStep("split", { accepts: StartEvent, emits: Task, fanOut: true }, () => [
    new Task({ n: 1 }),
    new Task({ n: 2 }),
  ])
  .addStep("one", { accepts: Task, emits: Done, fanOut: true }, (ev) => new Done({ n: ev.n }))
  .addStep("gather", { accepts: Done, emits: StopEvent, collect: true }, (done) => {
    done satisfies Done[];
    return new StopEvent({ result: done.map((d) => d.n) });
  })
  .addStep("first", { accepts: [Done, Part], emits: StopEvent, collect: { take: 2 } }, (events) => {
    events satisfies (Done | Part)[];
    return null;
  })
  .addStep("join", { accepts: [Part, Done], emits: StopEvent, join: true }, ([part, done]) => {
    part.label satisfies string;
    done.n satisfies number;
    return null;
  });

new Workflow().addStep(
  "split",
  { accepts: StartEvent, emits: Task },
  // @ts-expect-error returning an array needs `fanOut: true`
  () => [new Task({ n: 1 })],
);
new Workflow().addStep(
  "split",
  { accepts: StartEvent, emits: Task, fanOut: true },
  // @ts-expect-error a fan-out array holds `emits` events only
  () => [new Part({ label: "p" })],
);
new Workflow().addStep(
  "gather",
  { accepts: Done, emits: StopEvent, collect: true },
  // @ts-expect-error a `collect` step receives an array
  (done: Done) => new StopEvent({ result: done.n }),
);
new Workflow().addStep(
  "gather",
  { accepts: Done, emits: StopEvent },
  // @ts-expect-error without `collect`, the step receives one event
  (done: Done[]) => new StopEvent({ result: done.length }),
);
new Workflow().addStep(
  "join",
  { accepts: [Part, Done], emits: StopEvent, join: true },
  // @ts-expect-error a `join` step receives its tuple in `accepts` order
  (_pair: [Done, Part]) => null,
);
new Workflow().addStep(
  "join",
  { accepts: [Part, Done], emits: StopEvent, join: true },
  // @ts-expect-error a `join` step receives a tuple, not one event
  (_ev: Part | Done) => null,
);

// An option whose value is not known at compile time: the function must handle both forms.
declare const maybe: boolean;
new Workflow().addStep(
  "either",
  { accepts: [Part, Done], emits: StopEvent, join: maybe },
  (_ev: [Part, Done] | Part | Done) => null,
);
new Workflow().addStep(
  "either",
  { accepts: [Part, Done], emits: StopEvent, join: maybe },
  // @ts-expect-error with `join: boolean` the step may get one event as well as a tuple
  (_ev: [Part, Done]) => null,
);

export class Fans extends Workflow {
  @step({ accepts: StartEvent, emits: Task, fanOut: true })
  split() {
    return [new Task({ n: 1 }), new Task({ n: 2 })];
  }

  @step({ accepts: Task, emits: Done })
  work(ev: Task) {
    return new Done({ n: ev.n });
  }

  @step({ accepts: Done, emits: Part, collect: { take: 2 } })
  gather(done: Done[]) {
    return new Part({ label: done.map((d) => d.n).join() });
  }

  @step({ accepts: [Part, Done], emits: StopEvent, join: true })
  assemble([part, done]: [Part, Done]) {
    return new StopEvent({ result: `${part.label}${done.n}` });
  }
}

export class FanOutWithoutOption extends Workflow {
  // @ts-expect-error returning an array needs `fanOut: true`
  @step({ accepts: StartEvent, emits: Task })
  split() {
    return [new Task({ n: 1 })];
  }
}

export class FanOutWrongItems extends Workflow {
  // @ts-expect-error the fan-out array holds a `Part`, which is not in `emits`
  @step({ accepts: StartEvent, emits: Task, fanOut: true })
  split() {
    return [new Task({ n: 1 }), new Part({ label: "p" })];
  }
}

export class CollectSingle extends Workflow {
  // @ts-expect-error a `collect` step takes an array of its `accepts` events
  @step({ accepts: Done, emits: StopEvent, collect: true })
  gather(done: Done) {
    return new StopEvent({ result: done.n });
  }
}

export class CollectTooNarrow extends Workflow {
  // @ts-expect-error the collected array may hold a `Part` as well
  @step({ accepts: [Done, Part], emits: StopEvent, collect: true })
  gather(done: Done[]) {
    return new StopEvent({ result: done.length });
  }
}

export class JoinWrongOrder extends Workflow {
  // @ts-expect-error the tuple follows `accepts` order: [Part, Done]
  @step({ accepts: [Part, Done], emits: StopEvent, join: true })
  assemble(_pair: [Done, Part]) {
    return null;
  }
}

export class JoinSingle extends Workflow {
  // @ts-expect-error a `join` step takes the tuple, not one event
  @step({ accepts: [Part, Done], emits: StopEvent, join: true })
  assemble(_ev: Part) {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// collectEvents returns the events typed by the classes listed.

const expected = [Done, Part] as const;
const loose = [Done, Part];
new Workflow().addStep("collect", { accepts: [Done, Part], emits: StopEvent }, (ev, ctx) => {
  const inline = ctx.collectEvents(ev, [Done, Part, Done]);
  if (inline) {
    expectType<Equal<typeof inline, [Done, Part, Done]>>();
    inline[1].label satisfies string;
  }
  const declared = ctx.collectEvents(ev, expected);
  if (declared) {
    expectType<Equal<typeof declared, [Done, Part]>>();
    declared[0].n satisfies number;
    // @ts-expect-error the second event is a Part, which has no `n`
    declared[1].n;
  }
  const fromArray = ctx.collectEvents(ev, loose);
  if (fromArray) {
    // An array that is not `as const` has no order in its type: the events are a union.
    expectType<Equal<typeof fromArray, (Done | Part)[]>>();
  }
  return null;
});

// ---------------------------------------------------------------------------------------------
// ev.get is typed by the event's fields.

const query = new Query({ query: "q" });
query.get("query") satisfies string;
query.get("limit", 5) satisfies number;
expectType<Equal<ReturnType<typeof query.get<"limit">>, number>>();
// An undeclared field may still be there (start events take any field): it is `unknown`.
expectType<Equal<ReturnType<typeof query.get<"other">>, unknown>>();
// @ts-expect-error `query` is a string
query.get("query") satisfies number;
new StartEvent({ topic: "t" }).get("topic") satisfies any;
new Answer({ answer: "a" }).get("answer") satisfies string;
export function optionalField(ev: Event & { readonly note?: string }) {
  // With a default, a missing field gives the default.
  expectType<Equal<ReturnType<typeof ev.get<"note", number>>, string | number>>();
}

// ---------------------------------------------------------------------------------------------
// Typed workflows are still workflows: they fit `Workflow`, drawings and the test runner.

oneStep satisfies Workflow;
new Rag() satisfies Workflow;
getWorkflowGraph(oneStep);
getWorkflowGraph(Rag);
export async function testRunner() {
  const { result } = await new WorkflowTestRunner(oneStep).run({ query: "q" });
  expectType<Equal<typeof result, Answer>>();
  // @ts-expect-error `query` is a string
  await new WorkflowTestRunner(new Rag()).run({ query: 1 });
}

// Typed state carries through `addStep`.
const counter = z.object({ count: z.number().default(0) });
new Workflow({ state: counter })
  .addStep("start", { accepts: Query, emits: Found }, async (ev, ctx) => {
    await ctx.store.set("count", 1);
    return new Found({ hits: [ev.query] });
  })
  .addStep("answer", { accepts: Found, emits: Answer }, (_ev, ctx) => {
    ctx.store.getState().count satisfies number;
    return new Answer({ answer: "a" });
  })
  .run({ query: "q" }) satisfies WorkflowHandler<Answer>;
