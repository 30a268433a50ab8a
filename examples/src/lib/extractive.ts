/**
 * The RAG example's answer when no LLM is configured: the sentences of the retrieved chunks that
 * are closest to the question, quoted with their source. Nothing is generated.
 */
import { splitSentences } from "./documents.js";
import { cosineSimilarity, type Embedder } from "./embeddings.js";
import type { ScoredChunk } from "./vector-index.js";

/** A passage (one sentence, or two for the best) picked from a retrieved chunk, with its score. */
export interface ExtractedSentence {
  text: string;
  fileName: string;
  score: number;
}

/** Options of {@link extractAnswer}. */
export interface ExtractOptions {
  /** How many sentences to quote at most. @default 3 */
  maxSentences?: number;
  /** Stops the embedding call when aborted. */
  signal?: AbortSignal;
}

/**
 * Picks the sentences of the retrieved chunks that best answer `query`, best first. A sentence's
 * score mixes three signals: its embedding's cosine similarity to the query (the topic), the
 * share of the query's rarer words it contains (word vectors alone cannot tell "the last attempt"
 * from "the first attempt"), and its chunk's retrieval score. Questions and duplicates (a heading
 * repeated in chunks) are skipped.
 */
export async function extractAnswer(
  query: string,
  hits: readonly ScoredChunk[],
  embedder: Embedder,
  options: ExtractOptions = {},
): Promise<ExtractedSentence[]> {
  const candidates: { text: string; next: string | null; fileName: string; chunkScore: number }[] =
    [];
  const seen = new Set<string>();
  for (const { chunk, score } of hits) {
    for (const paragraph of chunk.text.split(/\n\s*\n/)) {
      const sentences = splitSentences(paragraph);
      sentences.forEach((sentence, i) => {
        // Very short fragments ("Yes.", a lone label) and questions answer nothing on their own.
        if (sentence.split(/\s+/).length < 4 || sentence.endsWith("?") || seen.has(sentence))
          return;
        seen.add(sentence);
        candidates.push({
          text: sentence,
          next: sentences[i + 1] ?? null,
          fileName: chunk.metadata.fileName,
          chunkScore: score,
        });
      });
    }
  }
  if (candidates.length === 0) return [];
  const [queryVector, ...vectors] = await embedder.embed(
    [query, ...candidates.map((c) => c.text)],
    { signal: options.signal },
  );
  const overlap = keywordOverlap(
    query,
    candidates.map((c) => c.text),
  );
  const ranked = candidates
    .map((candidate, i) => ({
      ...candidate,
      score:
        0.4 * cosineSimilarity(queryVector!, vectors[i]!) +
        0.4 * overlap[i]! +
        0.2 * candidate.chunkScore,
    }))
    .sort((a, b) => b.score - a.score);
  // The best sentence often needs the one after it ("...is not deleted. Harbor moves it to...").
  const [best, ...rest] = ranked;
  if (!best) return [];
  const picked: ExtractedSentence[] = [
    {
      text: best.next ? `${best.text} ${best.next}` : best.text,
      fileName: best.fileName,
      score: best.score,
    },
  ];
  for (const candidate of rest) {
    if (picked.length >= (options.maxSentences ?? 3)) break;
    if (candidate.text === best.next) continue;
    picked.push({ text: candidate.text, fileName: candidate.fileName, score: candidate.score });
  }
  return picked;
}

// Words too common to say what a question is about.
const STOP_WORDS = new Set(
  `a about after all an and any are as at be been before but by can could did do does for from
  had has have how i if in into is it its may me more most my no not of on or our should so than
  that the their them then there these they this those to up was we were what when where which who
  why will with would you your`.split(/\s+/),
);

/** Lower-cases a word and strips common English endings, so "attempts" matches "attempt". */
export function crudeStem(word: string): string {
  const w = word.toLowerCase();
  for (const suffix of ["ing", "ed", "es", "s", "ly"]) {
    if (w.length > suffix.length + 3 && w.endsWith(suffix)) return w.slice(0, -suffix.length);
  }
  return w;
}

function contentWords(text: string): Set<string> {
  const words = text.toLowerCase().match(/[a-z0-9]+(?:['_-][a-z0-9]+)*/g) ?? [];
  return new Set(words.filter((w) => !STOP_WORDS.has(w)).map(crudeStem));
}

/**
 * For each sentence, the share of the query's content words it contains, each word weighted by
 * how rare it is among the sentences (a word every sentence has tells none of them apart).
 */
export function keywordOverlap(query: string, sentences: readonly string[]): number[] {
  const queryWords = [...contentWords(query)];
  const sentenceWords = sentences.map(contentWords);
  const weights = queryWords.map((word) => {
    const containing = sentenceWords.filter((words) => words.has(word)).length;
    return Math.log((sentences.length + 1) / (containing + 0.5));
  });
  const total = weights.reduce((sum, w) => sum + w, 0);
  if (total <= 0) return sentences.map(() => 0);
  return sentenceWords.map(
    (words) =>
      queryWords.reduce((sum, word, i) => sum + (words.has(word) ? weights[i]! : 0), 0) / total,
  );
}
