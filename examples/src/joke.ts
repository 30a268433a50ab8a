/**
 * The seed's first workflow: one step writes a joke about a topic, a second step critiques it.
 * Two events connect them: StartEvent -> generateJoke -> JokeEvent -> critiqueJoke -> StopEvent.
 *
 *   STEPWISE_MODEL=ollama:llama3.2 npm run joke -w @stepwise/examples -- pirates
 *   STEPWISE_MODEL=openai:gpt-4o-mini OPENAI_API_KEY=sk-... npm run joke -w @stepwise/examples
 *
 * With no model configured it prints how to set one and exits.
 */
import { type Context, Event, StartEvent, StopEvent, step, Workflow } from "@stepwise/core";
import type { LanguageModel } from "ai";
import { z } from "zod";
import { isMain, parseArgs, runMain } from "./lib/cli.js";
import { complete, ProgressEvent, requireModel, streamComplete, TokenEvent } from "./lib/llm.js";
import { describeModel, HOW_TO_SET_A_MODEL, languageModelFromEnv } from "./lib/models.js";

/** Carries the generated joke to the critic. */
export class JokeEvent extends Event.define({ joke: z.string() }) {}

/** Options of {@link JokeFlow}: the workflow's options plus the LLM to use. */
export type JokeFlowOptions = ConstructorParameters<typeof Workflow>[0] & {
  /** Any AI SDK model. @default the model `STEPWISE_MODEL` names (`null` when unset) */
  llm?: LanguageModel | null;
};

/**
 * Writes a joke about `topic` and critiques it; the result is the critique.
 *
 * @example
 * import { openai } from "@ai-sdk/openai";
 * const critique = await new JokeFlow({ llm: openai("gpt-4o-mini") }).run({ topic: "pirates" });
 */
export class JokeFlow extends Workflow {
  llm: LanguageModel | null;

  constructor({ llm = languageModelFromEnv(), ...options }: JokeFlowOptions = {}) {
    super(options);
    this.llm = llm;
  }

  @step({ accepts: StartEvent, emits: JokeEvent })
  async generateJoke(ev: StartEvent, ctx: Context): Promise<JokeEvent> {
    const topic = ev.get("topic", "programming");
    const prompt = `Write your best joke about ${topic}. Reply with the joke only.`;
    const joke = await complete(requireModel(this.llm, "JokeFlow"), prompt, { signal: ctx.signal });
    // Published so the caller can show the joke; the JokeEvent itself is routed, not published.
    ctx.writeEventToStream(new ProgressEvent({ step: "generateJoke", message: joke.trim() }));
    return new JokeEvent({ joke: joke.trim() });
  }

  @step({ accepts: JokeEvent, emits: StopEvent })
  async critiqueJoke(ev: JokeEvent, ctx: Context): Promise<StopEvent> {
    const prompt = `Give a brief analysis of this joke: ${ev.joke}`;
    // Streamed: each piece of the critique is published as a TokenEvent while it is written.
    const critique = await streamComplete(
      requireModel(this.llm, "JokeFlow"),
      prompt,
      ctx,
      "critiqueJoke",
    );
    return new StopEvent({ result: critique.trim() });
  }
}

async function main(): Promise<void> {
  const { positionals } = parseArgs();
  const llm = languageModelFromEnv();
  if (!llm) {
    process.stdout.write(`The joke example needs an LLM.\n${HOW_TO_SET_A_MODEL}\n`);
    return;
  }
  const topic = positionals.join(" ") || "pirates";
  process.stdout.write(`A joke about ${topic}, by ${describeModel(llm)}:\n`);
  const handler = new JokeFlow({ llm, timeout: 120 }).run({ topic });
  let critiqueStarted = false;
  for await (const ev of handler.streamEvents()) {
    if (ev instanceof ProgressEvent) process.stdout.write(`${ev.message}\n`);
    if (ev instanceof TokenEvent) {
      if (!critiqueStarted) process.stdout.write("\nCritique:\n");
      critiqueStarted = true;
      process.stdout.write(ev.delta);
    }
  }
  await handler;
  process.stdout.write("\n");
}

if (isMain(import.meta.url)) await runMain(main);
