/**
 * RAG (retrieval-augmented generation), the seed's complete example: load a folder of documents,
 * index them, retrieve the 5 chunks closest to a question and answer from them, with sources.
 *
 *   npm start                                      # offline: GloVe vectors, extractive answer
 *   npm start -- "How much does the Team plan cost?"
 *   STEPWISE_MODEL=ollama:llama3.2 npm start       # a generated answer from a local model
 *   npm start -- --data ./my-notes --top-k 3 "What did we decide about caching?"
 *   npm start -- --no-draw                         # skip writing examples/rag-workflow.html
 *   npm start -- --trace                           # also print the run's OpenTelemetry span tree
 *
 * The workflow itself is the `RAGWorkflow` class (two steps); `main()` below loads the documents,
 * builds the index, runs the workflow and prints its event stream as it arrives.
 */
import { fileURLToPath } from "node:url";
import {
  type Context,
  Event,
  StartEvent,
  StepStateChanged,
  StopEvent,
  step,
  Workflow,
} from "@stepwise/core";
import type { EmbeddingModel, LanguageModel } from "ai";
import { z } from "zod";
import { isMain, parseArgs, runMain, UsageError } from "./lib/cli.js";
import { loadDirectory } from "./lib/documents.js";
import { aiSdkEmbedder, type Embedder, GloveEmbedder } from "./lib/embeddings.js";
import { extractAnswer } from "./lib/extractive.js";
import { ProgressEvent, streamComplete, TokenEvent } from "./lib/llm.js";
import {
  describeModel,
  embeddingModelFromEnv,
  languageModelFromEnv,
  maxRetriesFromEnv,
} from "./lib/models.js";
import { VectorStoreIndex } from "./lib/vector-index.js";

/** The folder `npm start` searches: a few documents about Harbor, a fictional job queue. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL("../data", import.meta.url));

/** The question `npm start` asks when none is given. */
export const DEFAULT_QUESTION = "What happens to a job after its last attempt fails?";

/** Carries the retrieved chunks (with their cosine similarity to the query) to synthesis. */
export class RetrieveEvent extends Event.define({
  query: z.string(),
  nodes: z.array(
    z.object({ id: z.string(), text: z.string(), fileName: z.string(), score: z.number() }),
  ),
}) {}

/** One source of an answer: the chunk, its similarity to the question, and its text. */
export interface RagSource {
  /** The chunk's id, `<fileName>#<chunk index>`. */
  id: string;
  fileName: string;
  score: number;
  text: string;
}

/** What a RAG run returns (the `result` of its `StopEvent`). */
export interface RagResult {
  answer: string;
  sources: RagSource[];
  numSources: number;
  /** `"llm"` when a model wrote the answer; `"extractive"` when it quotes retrieved sentences. */
  mode: "llm" | "extractive";
  /** The model that wrote the answer, or `null` in extractive mode. */
  model: string | null;
}

/** Options of {@link RAGWorkflow}: the workflow's own options plus the model and `topK`. */
export type RAGWorkflowOptions = ConstructorParameters<typeof Workflow>[0] & {
  /** The LLM that writes answers: any AI SDK model. @default from `STEPWISE_MODEL`; `null` = none */
  llm?: LanguageModel | null;
  /** How many chunks to retrieve. @default 5 */
  topK?: number;
};

/**
 * Answers a question (`run({ query })`) from the chunks of a {@link VectorStoreIndex} closest to
 * it. With an LLM the answer is generated (and streamed as {@link TokenEvent}s); without one it
 * is extractive: the retrieved sentences closest to the question, said to be so.
 *
 * @example
 * const index = await VectorStoreIndex.fromDocuments(await loadDirectory("./data"), await GloveEmbedder.load());
 * const result = await new RAGWorkflow(index, { timeout: 60 }).run({ query: "What is Harbor?" });
 */
export class RAGWorkflow extends Workflow {
  index: VectorStoreIndex | null;
  llm: LanguageModel | null;
  topK: number;

  /**
   * @param index the documents to search; when omitted (as `stepwise run` constructs it), the
   *   first run indexes {@link DEFAULT_DATA_DIR} with the embedder the environment names
   */
  constructor(index?: VectorStoreIndex, options: RAGWorkflowOptions = {}) {
    const { llm = languageModelFromEnv(), topK = 5, ...workflowOptions } = options;
    super(workflowOptions);
    this.index = index ?? null;
    this.llm = llm;
    this.topK = topK;
  }

  @step({ accepts: StartEvent, emits: RetrieveEvent })
  async retrieve(ev: StartEvent, ctx: Context): Promise<RetrieveEvent> {
    const query = ev.get("query");
    if (typeof query !== "string" || !query.trim()) {
      throw new UsageError('RAGWorkflow needs a question: run({ query: "..." })');
    }
    this.index ??= await buildIndex(DEFAULT_DATA_DIR, await embedderFromEnv());
    const hits = await this.index.retrieve(query, this.topK, { signal: ctx.signal });
    const lines = hits.map(
      ({ chunk, score }) => `  ${score.toFixed(3)}  ${chunk.id.padEnd(30)} ${preview(chunk.text)}`,
    );
    ctx.writeEventToStream(
      new ProgressEvent({
        step: "retrieve",
        message: `retrieved ${hits.length} of ${this.index.size} chunks (cosine similarity, ${this.index.embedder.name}):\n${lines.join("\n")}`,
      }),
    );
    return new RetrieveEvent({
      query,
      nodes: hits.map(({ chunk, score }) => ({
        id: chunk.id,
        text: chunk.text,
        fileName: chunk.metadata.fileName,
        score,
      })),
    });
  }

  @step({ accepts: RetrieveEvent, emits: StopEvent })
  async synthesize(ev: RetrieveEvent, ctx: Context): Promise<StopEvent> {
    const sources = ev.nodes.map(({ id, fileName, score, text }) => ({
      id,
      fileName,
      score,
      text,
    }));
    if (this.llm) {
      const context = ev.nodes
        .map((node, i) => `[${i + 1}] (${node.fileName})\n${node.text}`)
        .join("\n\n");
      const prompt = `Based on the following context, answer the question. Use only the context; if it does not contain the answer, say so. Cite the sources you used by file name in square brackets.

Context:
${context}

Question: ${ev.query}

Answer:`;
      const answer = await streamComplete(this.llm, prompt, ctx, "synthesize");
      return new StopEvent({
        result: {
          answer: answer.trim(),
          sources,
          numSources: sources.length,
          mode: "llm",
          model: describeModel(this.llm),
        } satisfies RagResult,
      });
    }
    // No LLM: quote the retrieved sentences closest to the question rather than invent anything.
    const picked = await extractAnswer(
      ev.query,
      ev.nodes.map((node, i) => ({
        chunk: {
          id: node.id,
          text: node.text,
          metadata: { fileName: node.fileName, filePath: node.fileName, chunkIndex: i },
        },
        score: node.score,
      })),
      this.index!.embedder,
      { signal: ctx.signal },
    );
    const answer =
      picked.length === 0
        ? "The retrieved chunks contain no sentence to quote."
        : picked.map((s) => `${s.text} [${s.fileName}]`).join("\n");
    return new StopEvent({
      result: {
        answer,
        sources,
        numSources: sources.length,
        mode: "extractive",
        model: null,
      } satisfies RagResult,
    });
  }
}

function preview(text: string, width = 60): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

/**
 * The embedder `STEPWISE_EMBEDDING_MODEL` names, or offline GloVe vectors when it is unset
 * (loaded once per process: a few seconds and about 1 GB of memory).
 */
export async function embedderFromEnv(
  model: EmbeddingModel | null = embeddingModelFromEnv(),
): Promise<Embedder> {
  return model ? aiSdkEmbedder(model, { maxRetries: maxRetriesFromEnv() }) : GloveEmbedder.load();
}

/** Loads every .md/.txt file under `dir` and indexes its chunks with `embedder`. */
export async function buildIndex(dir: string, embedder: Embedder): Promise<VectorStoreIndex> {
  return VectorStoreIndex.fromDocuments(await loadDirectory(dir), embedder);
}

const log = (line = "") => process.stdout.write(`${line}\n`);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

// Writes the workflow's drawing when @stepwise/draw is installed (it is optional here).
async function drawWorkflow(): Promise<string | null> {
  let draw: { drawAllPossibleFlows?: (wf: unknown, options: { filename: string }) => unknown };
  try {
    draw = await import("@stepwise/draw" as string);
  } catch {
    return null;
  }
  if (typeof draw.drawAllPossibleFlows !== "function") return null;
  const filename = fileURLToPath(new URL("../rag-workflow.html", import.meta.url));
  await draw.drawAllPossibleFlows(RAGWorkflow, { filename });
  return filename;
}

/** `npm start`: index the data folder, answer one question, print progress, answer and sources. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const { flags, positionals } = parseArgs(argv, ["trace", "no-draw"]);
  const query = positionals.join(" ").trim() || DEFAULT_QUESTION;
  const dataDir = flags.data ?? DEFAULT_DATA_DIR;
  const topK = Number(flags["top-k"] ?? 5);
  if (!Number.isInteger(topK) || topK < 1) {
    throw new UsageError(`--top-k ${flags["top-k"]} must be a whole number of 1 or more`);
  }
  // Read the configuration first, so a mistake in it is reported before any slow work.
  const llm = languageModelFromEnv();
  const embeddingModel = embeddingModelFromEnv();

  log("stepwise RAG example: retrieve the closest chunks, then answer from them");
  log(
    llm
      ? `  LLM:        ${describeModel(llm)} (STEPWISE_MODEL)`
      : "  LLM:        none configured (set STEPWISE_MODEL for generated answers); answering extractively",
  );

  let started = performance.now();
  const documents = await loadDirectory(dataDir);
  log(`  documents:  ${documents.length} files from ${dataDir}`);

  started = performance.now();
  let embedder: Embedder;
  if (embeddingModel) {
    embedder = await embedderFromEnv(embeddingModel);
    log(`  embeddings: ${embedder.name} (STEPWISE_EMBEDDING_MODEL)`);
  } else {
    log(
      "  embeddings: loading GloVe word vectors (offline; a 290 MB file, takes a few seconds, once)...",
    );
    embedder = await GloveEmbedder.load();
    log(`              loaded in ${seconds(started)}`);
  }

  started = performance.now();
  const index = await VectorStoreIndex.fromDocuments(documents, embedder);
  log(`  index:      ${index.size} chunks embedded in ${seconds(started)}`);

  const drawing = flags["no-draw"] ? null : await drawWorkflow();
  if (drawing) log(`  drawing:    ${drawing}`);

  log();
  log(`Question: ${query}`);
  // --trace: every run and step as an OpenTelemetry span (the SDK loads only then).
  const tracing = flags.trace ? (await import("./lib/trace.js")).startConsoleTracing() : null;
  const workflow = new RAGWorkflow(index, {
    llm,
    topK,
    timeout: 120,
    observers: tracing ? [tracing.observer] : [],
  });
  const handler = workflow.run({ query });
  let streaming = false;
  for await (const ev of handler.streamEvents({ includeInternal: true })) {
    if (ev instanceof StepStateChanged && ev.stepState === "running") {
      log(`> step ${ev.name} (${ev.inputEventName})`);
    } else if (ev instanceof ProgressEvent) {
      log(`  ${ev.message}`);
    } else if (ev instanceof TokenEvent) {
      if (!streaming) process.stdout.write(`\nAnswer (${describeModel(llm!)}):\n`);
      streaming = true;
      process.stdout.write(ev.delta);
    }
  }
  const result = (await handler) as RagResult;
  if (streaming) {
    log();
  } else if (result.mode === "extractive") {
    log();
    log("Answer (extractive: no LLM is configured, so these are the retrieved sentences");
    log("closest to the question, quoted as written; set STEPWISE_MODEL for a generated answer):");
    for (const line of result.answer.split("\n")) log(`  ${line}`);
  } else {
    log();
    log(`Answer (${result.model}):`);
    log(result.answer);
  }
  log();
  log("Sources:");
  for (const source of result.sources) log(`  ${source.score.toFixed(3)}  ${source.id}`);
  if (tracing) {
    log();
    log("Trace (OpenTelemetry spans of the run):");
    log(await tracing.tree());
  }
}

if (isMain(import.meta.url)) await runMain(() => main());
