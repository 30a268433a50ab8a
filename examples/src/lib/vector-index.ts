/**
 * An in-memory vector index: chunks with their embeddings, searched by cosine similarity. The
 * RAG example's stand-in for LlamaIndex's `VectorStoreIndex`.
 */
import { type Document, type SplitOptions, splitIntoChunks, type TextChunk } from "./documents.js";
import { cosineSimilarity, type Embedder } from "./embeddings.js";

/** A retrieved chunk and its cosine similarity to the query (higher is closer). */
export interface ScoredChunk {
  chunk: TextChunk;
  score: number;
}

/** Options of {@link VectorStoreIndex.fromDocuments}. */
export interface IndexOptions extends SplitOptions {
  /** Chunks embedded per call of the embedder. @default 64 */
  batchSize?: number;
  /** Called after each batch with how many chunks are embedded so far and in all. */
  onProgress?: (embedded: number, total: number) => void;
  /** Stops embedding when aborted. */
  signal?: AbortSignal;
}

/** Chunks of documents with their vectors, searchable by similarity to a query. */
export class VectorStoreIndex {
  readonly embedder: Embedder;
  readonly #chunks: TextChunk[];
  readonly #vectors: number[][];

  private constructor(embedder: Embedder, chunks: TextChunk[], vectors: number[][]) {
    this.embedder = embedder;
    this.#chunks = chunks;
    this.#vectors = vectors;
  }

  /** Splits the documents into chunks and embeds every chunk. */
  static async fromDocuments(
    documents: readonly Document[],
    embedder: Embedder,
    options: IndexOptions = {},
  ): Promise<VectorStoreIndex> {
    const chunks = documents.flatMap((document) => splitIntoChunks(document, options));
    const batchSize = options.batchSize ?? 64;
    const vectors: number[][] = [];
    for (let start = 0; start < chunks.length; start += batchSize) {
      const batch = chunks.slice(start, start + batchSize);
      const embedded = await embedder.embed(
        batch.map((chunk) => chunk.text),
        { signal: options.signal },
      );
      if (embedded.length !== batch.length) {
        throw new Error(
          `embedder ${embedder.name} returned ${embedded.length} vectors for ${batch.length} texts`,
        );
      }
      vectors.push(...embedded);
      options.onProgress?.(vectors.length, chunks.length);
    }
    return new VectorStoreIndex(embedder, chunks, vectors);
  }

  /** How many chunks the index holds. */
  get size(): number {
    return this.#chunks.length;
  }

  /** The documents the chunks came from (file names, in order of first appearance). */
  get fileNames(): string[] {
    return [...new Set(this.#chunks.map((chunk) => chunk.metadata.fileName))];
  }

  /** The `topK` chunks most similar to `query`, best first (ties keep index order). */
  async retrieve(
    query: string,
    topK = 5,
    options: { signal?: AbortSignal } = {},
  ): Promise<ScoredChunk[]> {
    const [queryVector] = await this.embedder.embed([query], options);
    if (!queryVector)
      throw new Error(`embedder ${this.embedder.name} returned no vector for the query`);
    return this.#chunks
      .map((chunk, i) => ({ chunk, score: cosineSimilarity(queryVector, this.#vectors[i]!) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, topK);
  }
}
