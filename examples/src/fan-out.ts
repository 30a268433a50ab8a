/**
 * Fan-out and fan-in: one step sends an event per document with `ctx.sendEvent`, a step with
 * `numWorkers: 4` analyzes up to four documents at once, and a gathering step waits with
 * `ctx.collectEvents` until every analysis has arrived.
 *
 *   StartEvent ──> dispatch ──> DocumentEvent ×N ──> analyze (4 workers) ──> AnalysisEvent ×N ──> gather ──> StopEvent
 *
 *   npm run fan-out -w @stepwise/examples                 # the documents in examples/data
 *   npm run fan-out -w @stepwise/examples -- ./my-notes
 *
 * The analysis is plain counting (words, sentences, the most frequent terms), so it runs offline.
 */
import { fileURLToPath } from "node:url";
import { type Context, Event, StartEvent, StopEvent, step, Workflow } from "@stepwise/core";
import { z } from "zod";
import { isMain, parseArgs, runMain, UsageError } from "./lib/cli.js";
import { loadDirectory, splitSentences } from "./lib/documents.js";
import { ProgressEvent } from "./lib/llm.js";

/** One document to analyze. */
export class DocumentEvent extends Event.define({ fileName: z.string(), text: z.string() }) {}

/** What `analyze` found in one document. */
export class AnalysisEvent extends Event.define({
  fileName: z.string(),
  words: z.number().int(),
  sentences: z.number().int(),
  topTerms: z.array(z.string()),
}) {}

/** What a run returns: one analysis per document (in the order the documents were sent). */
export interface CorpusReport {
  documents: { fileName: string; words: number; sentences: number; topTerms: string[] }[];
  totalWords: number;
}

// Words that are frequent in any English text and say nothing about a document's subject.
const COMMON = new Set(
  `the a an and or of to in for on at by with from as is are was were be been it its this that
  these those can you your their they them not no but if when then than so such each every any all
  per up out over into also only more most may which who what how has have had do does will would`.split(
    /\s+/,
  ),
);

/** The `count` most frequent terms of a text (3+ letters, common words skipped). */
export function topTerms(text: string, count = 5): string[] {
  const frequency = new Map<string, number>();
  for (const word of text.toLowerCase().match(/[a-z][a-z-]{2,}/g) ?? []) {
    if (!COMMON.has(word)) frequency.set(word, (frequency.get(word) ?? 0) + 1);
  }
  return [...frequency.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, count)
    .map(([word]) => word);
}

/**
 * Analyzes every document of a folder in parallel (`run({ dir })`) and gathers the results.
 */
export class FanOutFlow extends Workflow {
  @step({ accepts: StartEvent, emits: DocumentEvent })
  async dispatch(ev: StartEvent, ctx: Context): Promise<void> {
    const dir = ev.get("dir", fileURLToPath(new URL("../data", import.meta.url)));
    const documents = await loadDirectory(dir);
    // `gather` needs to know how many results to wait for.
    await ctx.store.set("expected", documents.length);
    for (const document of documents) {
      ctx.sendEvent(
        new DocumentEvent({ fileName: document.metadata.fileName, text: document.text }),
      );
    }
  }

  @step({ accepts: DocumentEvent, emits: AnalysisEvent, numWorkers: 4 })
  async analyze(ev: DocumentEvent, ctx: Context): Promise<AnalysisEvent> {
    const analysis = new AnalysisEvent({
      fileName: ev.fileName,
      words: ev.text.split(/\s+/).filter(Boolean).length,
      sentences: splitSentences(ev.text).length,
      topTerms: topTerms(ev.text),
    });
    ctx.writeEventToStream(
      new ProgressEvent({ step: "analyze", message: `analyzed ${ev.fileName}` }),
    );
    return analysis;
  }

  @step({ accepts: AnalysisEvent, emits: StopEvent })
  gather(ev: AnalysisEvent, ctx: Context): StopEvent | null {
    const expected: number = ctx.store.get("expected");
    // null until all `expected` analyses have arrived; then all of them, in arrival order.
    const results = ctx.collectEvents(ev, Array(expected).fill(AnalysisEvent));
    if (!results) return null;
    const documents = (results as AnalysisEvent[])
      .map(({ fileName, words, sentences, topTerms }) => ({ fileName, words, sentences, topTerms }))
      .sort((a, b) => a.fileName.localeCompare(b.fileName));
    const report: CorpusReport = {
      documents,
      totalWords: documents.reduce((sum, d) => sum + d.words, 0),
    };
    return new StopEvent({ result: report });
  }
}

async function main(): Promise<void> {
  const { positionals } = parseArgs();
  const dir = positionals[0];
  if (positionals.length > 1) throw new UsageError("pass at most one folder to analyze");
  const handler = new FanOutFlow({ timeout: 60 }).run(dir ? { dir } : {});
  for await (const ev of handler.streamEvents()) {
    if (ev instanceof ProgressEvent) process.stdout.write(`  ${ev.message}\n`);
  }
  const report = (await handler) as CorpusReport;
  process.stdout.write(
    `\n${"file".padEnd(28)} ${"words".padStart(6)} ${"sentences".padStart(9)}  top terms\n`,
  );
  for (const d of report.documents) {
    process.stdout.write(
      `${d.fileName.padEnd(28)} ${String(d.words).padStart(6)} ${String(d.sentences).padStart(9)}  ${d.topTerms.join(", ")}\n`,
    );
  }
  process.stdout.write(`${report.documents.length} documents, ${report.totalWords} words\n`);
}

if (isMain(import.meta.url)) await runMain(main);
