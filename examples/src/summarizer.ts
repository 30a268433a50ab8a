/**
 * The seed's exercise: extract 3-5 key points from a text, then write a summary from them.
 * StartEvent -> extractPoints -> KeyPointsEvent -> summarize -> StopEvent.
 *
 *   STEPWISE_MODEL=ollama:llama3.2 npm run summarize -w @stepwise/examples                # data/overview.md
 *   STEPWISE_MODEL=ollama:llama3.2 npm run summarize -w @stepwise/examples -- --file notes.md
 *   cat article.txt | STEPWISE_MODEL=... npm run summarize -w @stepwise/examples -- --file -
 *
 * With no model configured it prints how to set one and exits.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type Context, Event, StartEvent, StopEvent, step, Workflow } from "@stepwise/core";
import type { LanguageModel } from "ai";
import { z } from "zod";
import { isMain, parseArgs, runMain, UsageError } from "./lib/cli.js";
import { complete, ProgressEvent, requireModel, streamComplete, TokenEvent } from "./lib/llm.js";
import { describeModel, HOW_TO_SET_A_MODEL, languageModelFromEnv } from "./lib/models.js";

/** Carries the text and the key points extracted from it. */
export class KeyPointsEvent extends Event.define({
  text: z.string(),
  points: z.array(z.string()),
}) {}

/** Options of {@link SummarizerWorkflow}: the workflow's options plus the LLM to use. */
export type SummarizerOptions = ConstructorParameters<typeof Workflow>[0] & {
  /** Any AI SDK model. @default the model `STEPWISE_MODEL` names (`null` when unset) */
  llm?: LanguageModel | null;
};

/**
 * Summarizes `text` in two LLM calls: key points first, then a summary written from them.
 *
 * @example
 * const summary = await new SummarizerWorkflow({ timeout: 60 }).run({ text: "Long article..." });
 */
export class SummarizerWorkflow extends Workflow {
  llm: LanguageModel | null;

  constructor({ llm = languageModelFromEnv(), ...options }: SummarizerOptions = {}) {
    super(options);
    this.llm = llm;
  }

  @step({ accepts: StartEvent, emits: KeyPointsEvent })
  async extractPoints(ev: StartEvent, ctx: Context): Promise<KeyPointsEvent> {
    const text = ev.get("text");
    if (typeof text !== "string" || !text.trim()) {
      throw new UsageError('SummarizerWorkflow needs a text: run({ text: "..." })');
    }
    const prompt = `Extract 3-5 key points from this text.
Return each point on a new line, with no numbering or bullets.

Text: ${text}

Key points:`;
    const response = await complete(requireModel(this.llm, "SummarizerWorkflow"), prompt, {
      signal: ctx.signal,
    });
    // Models often number or bullet the points anyway; keep only their text.
    const points = response
      .split("\n")
      .map((line) => line.replace(/^\s*(?:[-*•]|\d+[.)])\s*/, "").trim())
      .filter(Boolean);
    ctx.writeEventToStream(
      new ProgressEvent({ step: "extractPoints", message: points.map((p) => `- ${p}`).join("\n") }),
    );
    return new KeyPointsEvent({ text, points });
  }

  @step({ accepts: KeyPointsEvent, emits: StopEvent })
  async summarize(ev: KeyPointsEvent, ctx: Context): Promise<StopEvent> {
    const prompt = `Create a concise summary based on these key points:

${ev.points.map((p) => `- ${p}`).join("\n")}

Summary:`;
    const llm = requireModel(this.llm, "SummarizerWorkflow");
    const summary = await streamComplete(llm, prompt, ctx, "summarize");
    return new StopEvent({ result: summary.trim() });
  }
}

async function readInput(file: string): Promise<string> {
  if (file !== "-") {
    return readFile(file, "utf8").catch(() => {
      throw new UsageError(`cannot read ${file}: pass an existing file with --file <path>`);
    });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function main(): Promise<void> {
  const { flags } = parseArgs();
  const llm = languageModelFromEnv();
  if (!llm) {
    process.stdout.write(`The summarizer example needs an LLM.\n${HOW_TO_SET_A_MODEL}\n`);
    return;
  }
  const file = flags.file ?? fileURLToPath(new URL("../data/overview.md", import.meta.url));
  const text = await readInput(file);
  process.stdout.write(
    `Summarizing ${file === "-" ? "stdin" : file} with ${describeModel(llm)}\n\nKey points:\n`,
  );
  const handler = new SummarizerWorkflow({ llm, timeout: 120 }).run({ text });
  let summaryStarted = false;
  for await (const ev of handler.streamEvents()) {
    if (ev instanceof ProgressEvent) process.stdout.write(`${ev.message}\n`);
    if (ev instanceof TokenEvent) {
      if (!summaryStarted) process.stdout.write("\nSummary:\n");
      summaryStarted = true;
      process.stdout.write(ev.delta);
    }
  }
  await handler;
  process.stdout.write("\n");
}

if (isMain(import.meta.url)) await runMain(main);
