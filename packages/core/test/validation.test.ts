import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Event,
  HumanResponseEvent,
  InputRequiredEvent,
  StartEvent,
  StopEvent,
  step,
  Workflow,
  WorkflowValidationError,
} from "@stepwise/core";
import { z } from "zod";

class A extends Event.define({}) {}
class B extends Event.define({}) {}
class C extends Event.define({}) {}

function problemsOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    assert.ok(
      error instanceof WorkflowValidationError,
      `expected WorkflowValidationError, got ${error}`,
    );
    return error.problems;
  }
  assert.fail("expected a WorkflowValidationError");
}

const codes = (fn: () => unknown) => problemsOf(fn).map((p) => p.code);

describe("checks at construction", () => {
  it("requires a step that accepts a start event", () => {
    class NoStart extends Workflow {
      @step({ accepts: A, emits: StopEvent })
      a() {
        return new StopEvent();
      }
    }
    const [problem] = problemsOf(() => new NoStart());
    assert.equal(problem?.code, "noStartStep");
    assert.match(problem?.message ?? "", /has no step that accepts StartEvent/);
  });

  it("refuses two start classes", () => {
    class S1 extends StartEvent.define({ a: z.string() }) {}
    class TwoStarts extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      a() {
        return new StopEvent();
      }
      @step({ accepts: S1, emits: StopEvent })
      b() {
        return new StopEvent();
      }
    }
    assert.deepEqual(
      codes(() => new TwoStarts()),
      ["multipleStartEvents"],
    );
  });

  it("requires a step that emits a stop event, and refuses two stop classes", () => {
    class Stop2 extends StopEvent.define({ x: z.number() }) {}
    class NoStop extends Workflow {
      @step({ accepts: StartEvent })
      a() {}
    }
    class TwoStops extends Workflow {
      @step({ accepts: StartEvent, emits: [StopEvent, Stop2] })
      a() {
        return new StopEvent();
      }
    }
    assert.deepEqual(
      codes(() => new NoStop()),
      ["noStopStep"],
    );
    assert.deepEqual(
      codes(() => new TwoStops()),
      ["multipleStopEvents"],
    );
  });

  it("refuses unknown skipGraphChecks names", () => {
    const wf = () => new Workflow({ skipGraphChecks: ["reach"] as never });
    const [problem] = problemsOf(wf);
    assert.match(
      problem?.message ?? "",
      /Unknown graph check names: reach. Valid names are: deadEnd, reachability, terminalEvent/,
    );
  });
});

describe("validate()", () => {
  it("reports a workflow with no steps", () => {
    assert.deepEqual(
      codes(() => new Workflow().validate()),
      ["noSteps"],
    );
  });

  it("refuses a step that accepts a stop event", () => {
    const wf = new Workflow()
      .addStep("start", { accepts: StartEvent, emits: StopEvent }, () => new StopEvent())
      .addStep("bad", { accepts: StopEvent }, () => null);
    const [problem] = problemsOf(() => wf.validate());
    assert.equal(problem?.code, "acceptsStopEvent");
    assert.deepEqual(problem?.steps, ["bad"]);
  });

  it("lists events consumed but never produced", () => {
    const wf = new Workflow()
      .addStep("start", { accepts: StartEvent, emits: StopEvent }, () => new StopEvent())
      .addStep("orphan", { accepts: A, emits: StopEvent }, () => new StopEvent());
    const [problem] = problemsOf(() => wf.validate());
    assert.equal(problem?.code, "consumedNeverProduced");
    assert.match(problem?.message ?? "", /consumed but never produced: `A`/);
  });

  it("lists events produced but never consumed", () => {
    const wf = new Workflow().addStep(
      "start",
      { accepts: StartEvent, emits: [A, StopEvent] },
      () => new StopEvent(),
    );
    const [problem] = problemsOf(() => wf.validate());
    assert.equal(problem?.code, "producedNeverConsumed");
    assert.deepEqual(problem?.events, ["A"]);
  });

  it("does not count input-required and human-response events as unconsumed or unproduced", () => {
    class Ask extends InputRequiredEvent.define({}) {}
    class Answer extends HumanResponseEvent.define({}) {}
    const wf = new Workflow()
      .addStep("ask", { accepts: StartEvent, emits: Ask }, () => new Ask())
      .addStep("answer", { accepts: Answer, emits: StopEvent }, () => new StopEvent());
    assert.doesNotThrow(() => wf.validate());
  });

  it("reports unreachable steps", () => {
    const wf = new Workflow()
      .addStep("start", { accepts: StartEvent, emits: StopEvent }, () => new StopEvent())
      .addStep("island1", { accepts: A, emits: B }, () => new B())
      .addStep("island2", { accepts: B, emits: [A, StopEvent] }, () => new A());
    const [problem] = problemsOf(() => wf.validate());
    assert.equal(problem?.code, "unreachable");
    assert.deepEqual(problem?.steps, ["island1", "island2"]);
    assert.match(problem?.message ?? "", /Unreachable steps: `island1`, `island2`/);
  });

  it("reports dead-end steps that can never lead to a stop", () => {
    const wf = new Workflow()
      .addStep("start", { accepts: StartEvent, emits: [A, StopEvent] }, () => new StopEvent())
      .addStep("loopA", { accepts: A, emits: B }, () => new B())
      .addStep("loopB", { accepts: B, emits: A }, () => new A());
    const [problem] = problemsOf(() => wf.validate());
    assert.equal(problem?.code, "deadEnd");
    assert.deepEqual(problem?.steps, ["loopA", "loopB"]);
  });

  it("skips graph checks for the workflow with skipGraphChecks", () => {
    const wf = new Workflow({ skipGraphChecks: ["deadEnd"] })
      .addStep("start", { accepts: StartEvent, emits: [A, StopEvent] }, () => new StopEvent())
      .addStep("loopA", { accepts: A, emits: B }, () => new B())
      .addStep("loopB", { accepts: B, emits: A }, () => new A());
    assert.doesNotThrow(() => wf.validate());
  });

  it("skips graph checks for one step with its own skipGraphChecks", () => {
    const wf = new Workflow()
      .addStep("start", { accepts: StartEvent, emits: [A, StopEvent] }, () => new StopEvent())
      .addStep("sink", { accepts: A, emits: C, skipGraphChecks: ["deadEnd"] }, () => new C())
      .addStep("sink2", { accepts: C, emits: A, skipGraphChecks: ["deadEnd"] }, () => new A());
    assert.doesNotThrow(() => wf.validate());
  });

  it("refuses two event classes with the same eventType", () => {
    const First = class Twin extends Event.define({}) {};
    const Second = class Twin extends Event.define({}) {};
    const wf = new Workflow()
      .addStep("start", { accepts: StartEvent, emits: First }, () => new First())
      .addStep("mid", { accepts: First, emits: Second }, () => new Second())
      .addStep("end", { accepts: Second, emits: StopEvent }, () => new StopEvent());
    assert.deepEqual(
      codes(() => wf.validate()),
      ["duplicateEventType"],
    );
  });

  it("lists every problem in one error", () => {
    const wf = new Workflow()
      .addStep("start", { accepts: StartEvent, emits: [B, StopEvent] }, () => new StopEvent())
      .addStep("orphan", { accepts: A, emits: StopEvent }, () => new StopEvent());
    const error = (() => {
      try {
        wf.validate();
      } catch (e) {
        return e as WorkflowValidationError;
      }
    })();
    assert.deepEqual(
      error?.problems.map((p) => p.code),
      ["consumedNeverProduced", "producedNeverConsumed"],
    );
    assert.match(error?.message ?? "", /2 problems/);
  });

  it("throws from run() synchronously when the graph is invalid", () => {
    const wf = new Workflow().addStep(
      "start",
      { accepts: StartEvent, emits: [A, StopEvent] },
      () => new StopEvent(),
    );
    assert.throws(() => wf.run(), WorkflowValidationError);
  });

  it("lets `validate: false` skip the run-time graph checks", async () => {
    const wf = new Workflow({ validate: false }).addStep(
      "start",
      { accepts: StartEvent, emits: [A, StopEvent] },
      () => new StopEvent({ result: "ran" }),
    );
    assert.equal(await wf.run(), "ran");
    assert.throws(() => wf.validate(), WorkflowValidationError);
  });
});
