/**
 * stepwise's runnable examples. Each workflow lives in its own file, which runs as a script
 * (`npm start` runs the RAG example) and exports its workflow class for `stepwise draw` and
 * `stepwise run`. This module gathers them for tests and for readers who want to import one.
 *
 * @example
 * import { JokeFlow } from "@stepwise/examples";
 * import { openai } from "@ai-sdk/openai";
 * console.log(await new JokeFlow({ llm: openai("gpt-4o-mini") }).run({ topic: "pirates" }));
 */

// The workflows
export { DraftEvent, ReviseEvent, ShortenFlow, type ShortenResult } from "./branch-loop.js";
export { AnalysisEvent, type CorpusReport, DocumentEvent, FanOutFlow } from "./fan-out.js";
export {
  ApprovalRequestEvent,
  ApprovalResponseEvent,
  type RefundDecision,
  RefundFlow,
} from "./human-in-the-loop.js";
export { JokeEvent, JokeFlow } from "./joke.js";
// Choosing models from the environment, and calling them from steps
export { UsageError } from "./lib/cli.js";
// Documents, embeddings and the in-memory vector index
export { type Document, loadDirectory, splitIntoChunks, type TextChunk } from "./lib/documents.js";
export { aiSdkEmbedder, type Embedder, GloveEmbedder } from "./lib/embeddings.js";
export { extractAnswer } from "./lib/extractive.js";
export { complete, ProgressEvent, streamComplete, TokenEvent } from "./lib/llm.js";
export { embeddingModelFromEnv, languageModelFromEnv, parseModelSpec } from "./lib/models.js";
export { type ScoredChunk, VectorStoreIndex } from "./lib/vector-index.js";
export { RAGWorkflow, type RagResult, type RagSource, RetrieveEvent } from "./rag.js";
export { KeyPointsEvent, SummarizerWorkflow } from "./summarizer.js";
