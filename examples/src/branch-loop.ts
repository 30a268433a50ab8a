/**
 * Branches and loops: a draft is reviewed, and the review decides where the run goes next.
 *
 *   StartEvent ──> draft ──> DraftEvent ──> review ──> StopEvent            (fits: done)
 *                    ^                        │──────> StopEvent            (out of rounds: give up)
 *                    └──── ReviseEvent <──────┘                             (too long: loop)
 *
 * A step that returns different event classes is a branch; an event that leads back to an
 * earlier step is a loop. No edges are declared: they follow from `accepts` and `emits`.
 *
 *   npm run branch-loop -w @stepwise/examples                      # shorten data/overview.md's intro to 40 words
 *   npm run branch-loop -w @stepwise/examples -- --max-words 25 "Some long text. ..."
 *
 * With STEPWISE_MODEL set, an LLM rewrites the text each round; without one, each round drops the
 * last sentence (and finally cuts words), so the example runs offline.
 */
import { readFile } from "node:fs/promises";
import { type Context, Event, StartEvent, StopEvent, step, Workflow } from "@stepwise/core";
import type { LanguageModel } from "ai";
import { z } from "zod";
import { isMain, parseArgs, runMain, UsageError } from "./lib/cli.js";
import { splitSentences } from "./lib/documents.js";
import { complete, ProgressEvent } from "./lib/llm.js";
import { describeModel, languageModelFromEnv } from "./lib/models.js";

/** A version of the text, to be reviewed; `round` 0 is the original. */
export class DraftEvent extends Event.define({ text: z.string(), round: z.number().int() }) {}

/** Sends a draft back to be shortened, with the reviewer's feedback. */
export class ReviseEvent extends Event.define({
  text: z.string(),
  round: z.number().int(),
  feedback: z.string(),
}) {}

/** What a run returns. */
export interface ShortenResult {
  text: string;
  words: number;
  rounds: number;
  /** Whether the text fits the limit (false when the rounds ran out first). */
  fits: boolean;
}

/** Options of {@link ShortenFlow}. */
export type ShortenFlowOptions = ConstructorParameters<typeof Workflow>[0] & {
  /** The LLM that rewrites the text. @default from `STEPWISE_MODEL`; `null` = drop sentences */
  llm?: LanguageModel | null;
  /** Revisions before giving up. @default 5 */
  maxRounds?: number;
};

/** Counts the words of a text. */
export function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** The offline revision: drop the last sentence, or cut a single sentence to `maxWords`. */
export function dropLastSentence(text: string, maxWords: number): string {
  const sentences = splitSentences(text);
  if (sentences.length > 1) return sentences.slice(0, -1).join(" ");
  return `${text.split(/\s+/).slice(0, maxWords).join(" ")}…`;
}

/**
 * Shortens `text` to at most `maxWords` words (`run({ text, maxWords })`), looping through
 * review and revision until it fits or `maxRounds` is reached.
 */
export class ShortenFlow extends Workflow {
  llm: LanguageModel | null;
  maxRounds: number;

  constructor({
    llm = languageModelFromEnv(),
    maxRounds = 5,
    ...options
  }: ShortenFlowOptions = {}) {
    super(options);
    this.llm = llm;
    this.maxRounds = maxRounds;
  }

  @step({ accepts: [StartEvent, ReviseEvent], emits: DraftEvent })
  async draft(ev: StartEvent | ReviseEvent, ctx: Context): Promise<DraftEvent> {
    if (ev instanceof StartEvent) {
      const text = ev.get("text");
      if (typeof text !== "string" || !text.trim()) {
        throw new UsageError('ShortenFlow needs a text: run({ text: "...", maxWords: 40 })');
      }
      // The limit is run state: both steps read it from the context's store.
      await ctx.store.set("maxWords", Number(ev.get("maxWords", 40)));
      return new DraftEvent({ text: text.trim(), round: 0 });
    }
    const maxWords: number = ctx.store.get("maxWords");
    const text = this.llm
      ? await complete(
          this.llm,
          `Rewrite this text in at most ${maxWords} words, keeping its main facts. ${ev.feedback}. Reply with the text only.\n\n${ev.text}`,
          { signal: ctx.signal },
        )
      : dropLastSentence(ev.text, maxWords);
    return new DraftEvent({ text: text.trim(), round: ev.round + 1 });
  }

  @step({ accepts: DraftEvent, emits: [ReviseEvent, StopEvent] })
  review(ev: DraftEvent, ctx: Context): ReviseEvent | StopEvent {
    const maxWords: number = ctx.store.get("maxWords");
    const words = countWords(ev.text);
    ctx.writeEventToStream(
      new ProgressEvent({
        step: "review",
        message: `round ${ev.round}: ${words} words (limit ${maxWords})`,
      }),
    );
    // Branch: done, out of rounds, or back to `draft` (the loop).
    if (words <= maxWords) {
      return new StopEvent({ result: { text: ev.text, words, rounds: ev.round, fits: true } });
    }
    if (ev.round >= this.maxRounds) {
      return new StopEvent({ result: { text: ev.text, words, rounds: ev.round, fits: false } });
    }
    return new ReviseEvent({
      text: ev.text,
      round: ev.round,
      feedback: `The draft has ${words} words; the limit is ${maxWords}`,
    });
  }
}

async function main(): Promise<void> {
  const { flags, positionals } = parseArgs();
  const maxWords = Number(flags["max-words"] ?? 40);
  if (!Number.isInteger(maxWords) || maxWords < 1) {
    throw new UsageError(`--max-words ${flags["max-words"]} must be a whole number of 1 or more`);
  }
  let text = positionals.join(" ");
  if (!text) {
    const overview = await readFile(new URL("../data/overview.md", import.meta.url), "utf8");
    text = overview.split(/\n\s*\n/)[1] ?? overview; // the first paragraph after the title
  }
  const llm = languageModelFromEnv();
  process.stdout.write(
    `Shortening a ${countWords(text)}-word text to at most ${maxWords} words (${llm ? `rewritten by ${describeModel(llm)}` : "offline: each round drops the last sentence"})\n`,
  );
  const handler = new ShortenFlow({ llm, timeout: 120 }).run({ text, maxWords });
  for await (const ev of handler.streamEvents()) {
    if (ev instanceof ProgressEvent) process.stdout.write(`  ${ev.message}\n`);
  }
  const result = (await handler) as ShortenResult;
  process.stdout.write(
    `\n${result.fits ? "Fits" : "Still too long"} after ${result.rounds} revision(s):\n${result.text}\n`,
  );
}

if (isMain(import.meta.url)) await runMain(main);
