import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Event,
  EventValidationError,
  HumanResponseEvent,
  InputRequiredEvent,
  StartEvent,
  StopEvent,
  Workflow,
  WorkflowEvent,
} from "@stepwise/core";
import { z } from "zod";

class JokeEvent extends Event.define({ joke: z.string() }) {}
class QueryEvent extends Event.define({
  query: z.string(),
  temperature: z.number().default(0.7),
}) {}

describe("Event.define", () => {
  it("assigns validated fields onto the instance", () => {
    const ev = new JokeEvent({ joke: "knock knock" });
    assert.equal(ev.joke, "knock knock");
  });

  it("applies zod defaults", () => {
    assert.equal(new QueryEvent({ query: "q" }).temperature, 0.7);
  });

  it("rejects wrong fields with EventValidationError naming the class, the field and what was received", () => {
    assert.throws(
      () => new JokeEvent({ joke: 42 } as never),
      (error: unknown) => {
        assert.ok(error instanceof EventValidationError);
        assert.equal(error.eventType, "JokeEvent");
        assert.match(error.message, /JokeEvent/);
        assert.match(error.message, /`joke`/);
        assert.match(error.message, /received number 42/);
        assert.deepEqual(error.issues[0]?.path, ["joke"]);
        return true;
      },
    );
  });

  it("reports a missing field as missing", () => {
    assert.throws(() => new JokeEvent({} as never), /`joke`.*\(missing\)/s);
  });

  it("freezes instances", () => {
    const ev = new JokeEvent({ joke: "a" });
    assert.ok(Object.isFrozen(ev));
    assert.throws(() => {
      (ev as { joke: string }).joke = "b";
    }, TypeError);
  });

  it("rejects a field that would shadow an event method", () => {
    assert.throws(() => Event.define({ get: z.string() }), /cannot have a field named `get`/);
    assert.throws(() => Event.define({ toJSON: z.string() }), /`toJSON`/);
  });

  it("lets users define fields named type, data and result", () => {
    class Free extends Event.define({ type: z.string(), data: z.number(), result: z.boolean() }) {}
    const ev = new Free({ type: "t", data: 1, result: true });
    assert.deepEqual(ev.toJSON(), { type: "Free", data: { type: "t", data: 1, result: true } });
  });

  it("extends a defined class's schema with another define", () => {
    class Base extends Event.define({ a: z.string() }) {}
    class More extends Base.define({ b: z.number() }) {}
    const ev = new More({ a: "x", b: 1 });
    assert.equal(ev.a, "x");
    assert.equal(ev.b, 1);
    assert.ok(ev instanceof Base);
  });

  it("names the class by its class name, or by static eventType", () => {
    class Renamed extends Event.define({}) {
      static override get eventType() {
        return "custom.Renamed";
      }
    }
    assert.equal(JokeEvent.eventType, "JokeEvent");
    assert.equal(Renamed.eventType, "custom.Renamed");
    assert.equal(new Renamed().toJSON().type, "custom.Renamed");
  });

  it("exports Event also as WorkflowEvent", () => {
    assert.equal(WorkflowEvent, Event);
  });
});

describe("event accessors", () => {
  it("get() returns a field or the default", () => {
    const ev = new QueryEvent({ query: "q" });
    assert.equal(ev.get("query"), "q");
    assert.equal(ev.get("missing", 3), 3);
    assert.equal(ev.get("missing"), undefined);
  });

  it("toJSON() gives { type, data }", () => {
    assert.deepEqual(new QueryEvent({ query: "q" }).toJSON(), {
      type: "QueryEvent",
      data: { query: "q", temperature: 0.7 },
    });
  });
});

describe("StartEvent", () => {
  it("accepts any fields, readable as properties and through get()", () => {
    const ev = new StartEvent({ topic: "pirates", maxTokens: 100 });
    assert.equal(ev.topic, "pirates");
    assert.equal(ev.maxTokens, 100);
    assert.equal(ev.get("temperature", 0.7), 0.7);
  });

  it("rejects a dynamic field that would shadow a method", () => {
    assert.throws(() => new StartEvent({ get: 1 }), EventValidationError);
  });

  it("types and validates a typed start", () => {
    class MyStart extends StartEvent.define({
      query: z.string(),
      maxResults: z.number().default(10),
    }) {}
    const ev = new MyStart({ query: "q" });
    assert.equal(ev.maxResults, 10);
    assert.ok(ev instanceof StartEvent);
    assert.throws(() => new MyStart({} as never), EventValidationError);
  });
});

describe("StopEvent", () => {
  it("carries a result", () => {
    assert.equal(new StopEvent({ result: 42 }).result, 42);
    assert.equal(new StopEvent().result, undefined);
  });

  it("types a typed stop", () => {
    class MyStop extends StopEvent.define({ answer: z.string(), sources: z.array(z.string()) }) {}
    const ev = new MyStop({ answer: "a", sources: ["s"] });
    assert.deepEqual(ev.sources, ["s"]);
    assert.ok(ev instanceof StopEvent);
  });
});

describe("human-in-the-loop bases", () => {
  it("extend with define()", () => {
    class Ask extends InputRequiredEvent.define({ prompt: z.string() }) {}
    class Answer extends HumanResponseEvent.define({ response: z.string() }) {}
    assert.ok(new Ask({ prompt: "?" }) instanceof InputRequiredEvent);
    assert.equal(new Answer({ response: "yes" }).response, "yes");
  });
});

describe("events in a run", () => {
  it("runs an event class's own constructor only for the events user code makes", async () => {
    let made = 0;
    class CountedEvent extends Event.define({ n: z.number() }) {
      constructor(fields: { n: number }) {
        made++;
        super(fields);
      }
    }
    const wf = new Workflow()
      .addStep(
        "begin",
        { accepts: StartEvent, emits: CountedEvent },
        () => new CountedEvent({ n: 1 }),
      )
      .addStep(
        "end",
        { accepts: CountedEvent, emits: StopEvent },
        (ev) => new StopEvent({ result: ev.n }),
      );
    assert.equal(await wf.run(), 1);
    assert.equal(made, 1);
  });
});
