/**
 * Type tests under `experimentalDecorators: true` (compiled with this folder's tsconfig.json,
 * never run): the legacy decorator signature checks the class's `Workflow<TStart, TResult>` and
 * the `fanOut`, `collect` and `join` options as the standard one does.
 */
import { Event, StartEvent, StopEvent, step, Workflow, type WorkflowHandler } from "@stepwise/core";
import { z } from "zod";

class Query extends StartEvent.define({ query: z.string() }) {}
class Answer extends StopEvent.define({ answer: z.string() }) {}
class Other extends StopEvent.define({ reason: z.string() }) {}
class Task extends Event.define({ n: z.number() }) {}
class Part extends Event.define({ label: z.string() }) {}

export class Typed extends Workflow<{ query: string }, Answer> {
  @step({ accepts: Query, emits: Task, fanOut: true })
  split(ev: Query) {
    return [new Task({ n: ev.query.length })];
  }

  @step({ accepts: Task, emits: Part })
  work(ev: Task) {
    return new Part({ label: String(ev.n) });
  }

  @step({ accepts: Part, emits: Answer, collect: true })
  gather(parts: Part[]) {
    return new Answer({ answer: parts.map((p) => p.label).join() });
  }
}
new Typed().run({ query: "q" }) satisfies WorkflowHandler<Answer>;
// @ts-expect-error `query` is a string
new Typed().run({ query: 1 });

export class WrongStart extends Workflow<{ query: number }, Answer> {
  // @ts-expect-error `TStart` says `query` is a number, but the start event wants a string
  @step({ accepts: Query, emits: Answer })
  go(ev: Query) {
    return new Answer({ answer: ev.query });
  }
}

export class WrongStop extends Workflow<{ query: string }, Answer> {
  // @ts-expect-error the run would end with an `Other`, not the declared `Answer`
  @step({ accepts: Query, emits: Other })
  go() {
    return new Other({ reason: "r" });
  }
}

export class FanOutWithoutOption extends Workflow {
  // @ts-expect-error returning an array needs `fanOut: true`
  @step({ accepts: StartEvent, emits: Task })
  split() {
    return [new Task({ n: 1 })];
  }
}

export class CollectSingle extends Workflow {
  // @ts-expect-error a `collect` step takes an array of its `accepts` events
  @step({ accepts: Part, emits: StopEvent, collect: true })
  gather(part: Part) {
    return new StopEvent({ result: part.label });
  }
}

export class Join extends Workflow {
  @step({ accepts: [Part, Task], emits: StopEvent, join: true })
  assemble([part, task]: [Part, Task]) {
    return new StopEvent({ result: `${part.label}${task.n}` });
  }

  // @ts-expect-error the tuple follows `accepts` order: [Part, Task]
  @step({ accepts: [Part, Task], emits: StopEvent, join: true })
  wrongOrder(_pair: [Task, Part]) {
    return null;
  }
}
