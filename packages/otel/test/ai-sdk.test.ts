import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { trace } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { Event, StartEvent, StopEvent, Workflow } from "@stepwise/core";
import { ATTR_RUN_ID } from "@stepwise/otel";
import { generateText } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { z } from "zod";
import { isChildOf, spanTree, tracing } from "./tracing.ts";

class Question extends Event.define({ text: z.string() }) {}
class Answer extends Event.define({ text: z.string() }) {}

/** A mock model answering each prompt with its upper-case, a few event-loop turns later. */
function shoutingModel(): MockLanguageModelV3 {
  return new MockLanguageModelV3({
    provider: "mock",
    modelId: "shout-1",
    doGenerate: async (options) => {
      const user = options.prompt.find((message) => message.role === "user");
      const text =
        user && typeof user.content !== "string"
          ? user.content.map((part) => (part.type === "text" ? part.text : "")).join("")
          : "";
      for (let k = 0; k < text.length % 4; k++) await new Promise((r) => setImmediate(r));
      return {
        content: [{ type: "text", text: text.toUpperCase() }],
        finishReason: { unified: "stop", raw: "stop" },
        usage: {
          inputTokens: { total: 3, noCache: 3, cacheRead: undefined, cacheWrite: undefined },
          outputTokens: { total: 3, text: 3, reasoning: undefined },
        },
        warnings: [],
      };
    },
  });
}

describe("AI SDK calls inside steps", () => {
  it("nest the AI SDK's spans under the step span that made the call", async () => {
    const t = tracing();
    const model = shoutingModel();
    const wf = new Workflow({ name: "Ask", observers: [t.observer] });
    wf.addStep("answer", { accepts: StartEvent, emits: StopEvent }, async (ev: StartEvent) => {
      const { text } = await generateText({
        model,
        prompt: ev.question,
        experimental_telemetry: { isEnabled: true, tracer: t.tracer, functionId: "answer" },
      });
      return new StopEvent({ result: text });
    });
    assert.equal(await wf.run({ question: "why?" }), "WHY?");
    assert.equal(
      spanTree(t.spans()),
      [
        "workflow.run Ask [completed]",
        "  workflow.step answer [event]",
        "    ai.generateText",
        "      ai.generateText.doGenerate",
      ].join("\n"),
    );
    const call = t.one("ai.generateText.doGenerate");
    assert.equal(call.attributes["ai.model.id"], "shout-1");
    assert.equal(call.attributes["ai.telemetry.functionId"], "answer");
  });

  it("keep concurrent steps' model calls under their own steps", async () => {
    const t = tracing();
    const model = shoutingModel();
    const wf = new Workflow({ name: "Many", observers: [t.observer] });
    const questions = ["a", "bb", "ccc", "dddd", "eeeee", "ffffff"];
    wf.addStep("split", { accepts: StartEvent, emits: Question, fanOut: true }, () =>
      questions.map((text) => new Question({ text })),
    );
    const stepOf = new Map<string, string | undefined>();
    wf.addStep("ask", { accepts: Question, emits: Answer, numWorkers: 4 }, async (ev: Question) => {
      stepOf.set(ev.text, trace.getActiveSpan()?.spanContext().spanId);
      const { text } = await generateText({
        model,
        prompt: ev.text,
        experimental_telemetry: { isEnabled: true, tracer: t.tracer, metadata: { q: ev.text } },
      });
      return new Answer({ text });
    });
    wf.addStep(
      "join",
      { accepts: Answer, emits: StopEvent, collect: true },
      (all: Answer[]) => new StopEvent({ result: all.map((a) => a.text) }),
    );
    const handler = wf.run();
    assert.deepEqual(
      await handler,
      questions.map((q) => q.toUpperCase()),
    );
    const steps = t.named("workflow.step ask");
    assert.equal(steps.length, questions.length);
    const calls = t.named("ai.generateText");
    assert.equal(calls.length, questions.length);
    const parents = new Set<ReadableSpan>();
    for (const call of calls) {
      const question = String(call.attributes["ai.telemetry.metadata.q"]);
      const step = steps.find((span) => span.spanContext().spanId === stepOf.get(question));
      assert.ok(step, `the step that asked ${question} ran with its span active`);
      assert.ok(isChildOf(call, step), `the model call for ${question} is under its step`);
      assert.equal(step.attributes[ATTR_RUN_ID], handler.runId);
      parents.add(step);
    }
    assert.equal(parents.size, questions.length);
  });
});
