/**
 * The class API compiled with `experimentalDecorators: true` (run with TSX_TSCONFIG_PATH
 * pointing at this folder's tsconfig.json, and type-checked with it).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Context,
  catchError,
  Event,
  getWorkflowGraph,
  StartEvent,
  type StepFailedEvent,
  StopEvent,
  step,
  Workflow,
  WorkflowValidationError,
} from "@stepwise/core";
import { z } from "zod";

class JokeEvent extends Event.define({ joke: z.string() }) {}

class JokeFlow extends Workflow {
  prefix = "joke about";

  @step({ accepts: StartEvent, emits: JokeEvent })
  async generateJoke(ev: StartEvent, _ctx: Context): Promise<JokeEvent> {
    return new JokeEvent({ joke: `${this.prefix} ${ev.topic}` });
  }

  @step({ accepts: JokeEvent, emits: StopEvent, numWorkers: 2 })
  async critiqueJoke(ev: JokeEvent) {
    return new StopEvent({ result: `critique of ${ev.joke}` });
  }
}

describe("legacy (experimentalDecorators) decorators", () => {
  it("runs a class-based workflow", async () => {
    assert.equal(await new JokeFlow().run({ topic: "pirates" }), "critique of joke about pirates");
  });

  it("makes the class inspectable without instantiating it", () => {
    const graph = getWorkflowGraph(JokeFlow);
    const steps = graph.nodes.filter((n) => n.kind === "step");
    assert.deepEqual(
      steps.map((s) => (s.kind === "step" ? `${s.name}:${s.numWorkers}` : "")),
      ["generateJoke:4", "critiqueJoke:2"],
    );
  });

  it("inherits and overrides steps", async () => {
    class Child extends JokeFlow {
      @step({ accepts: JokeEvent, emits: StopEvent })
      override async critiqueJoke(ev: JokeEvent) {
        return new StopEvent({ result: `child ${ev.joke}` });
      }
    }
    assert.equal(await new Child().run({ topic: "x" }), "child joke about x");
  });

  it("registers @catchError handlers", async () => {
    class Recovering extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent })
      async explode(): Promise<StopEvent> {
        throw new Error("boom");
      }

      @catchError({ emits: StopEvent })
      async recover(ev: StepFailedEvent) {
        return new StopEvent({ result: `recovered ${ev.stepName}: ${ev.error.message}` });
      }
    }
    assert.equal(await new Recovering().run(), "recovered explode: boom");
  });

  it("checks options at construction", () => {
    class Bad extends Workflow {
      @step({ accepts: StartEvent, emits: StopEvent, numWorkers: -1 })
      only() {
        return new StopEvent();
      }
    }
    assert.throws(() => new Bad(), WorkflowValidationError);
  });
});

// Type check under experimentalDecorators: a parameter that disagrees with `accepts` is an error.
export class WrongParameter extends Workflow {
  // @ts-expect-error the method takes a JokeEvent but the step accepts StartEvent
  @step({ accepts: StartEvent, emits: StopEvent })
  async wrong(ev: JokeEvent) {
    return new StopEvent({ result: ev.joke });
  }
}
