// The offline GloVe path, for real. Loading the vectors takes ~5-7 s and ~1 GB, so this file
// loads them once and keeps its checks to what word vectors reliably get right.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadDirectory } from "../src/lib/documents.js";
import { cosineSimilarity, GloveEmbedder } from "../src/lib/embeddings.js";
import { extractAnswer } from "../src/lib/extractive.js";
import { VectorStoreIndex } from "../src/lib/vector-index.js";

const dataDir = fileURLToPath(new URL("../data", import.meta.url));

describe("GloVe embeddings (offline)", () => {
  let glove: GloveEmbedder;
  let index: VectorStoreIndex;
  before(async () => {
    glove = await GloveEmbedder.load();
    index = await VectorStoreIndex.fromDocuments(await loadDirectory(dataDir), glove);
  });

  it("loads once per process", async () => {
    assert.equal(await GloveEmbedder.load(), glove);
  });

  it("makes unit-length 100-d vectors, and zeros for text with no known word", async () => {
    const [vector, empty] = await glove.embed(["The kitten slept on the rug.", "the of ,"]);
    assert.equal(vector!.length, 100);
    assert.ok(Math.abs(Math.hypot(...vector!) - 1) < 1e-9);
    assert.ok(empty!.every((x) => x === 0));
  });

  it("places related sentences closer than unrelated ones", async () => {
    const [cat, kitten, invoice] = await glove.embed([
      "The cat rested on the carpet.",
      "A kitten slept on the rug.",
      "The invoice is due at the end of the quarter.",
    ]);
    assert.ok(cosineSimilarity(cat!, kitten!) > cosineSimilarity(cat!, invoice!));
  });

  it("retrieves the pricing document for a pricing question", async () => {
    const [best] = await index.retrieve("How much does the Team plan cost per month?", 5);
    assert.equal(best!.chunk.metadata.fileName, "pricing.md");
  });

  it("answers the default question from the retries document, extractively", async () => {
    const query = "What happens to a job after its last attempt fails?";
    const hits = await index.retrieve(query, 5);
    assert.equal(hits.length, 5);
    const [best] = await extractAnswer(query, hits, glove);
    assert.match(best!.text, /dead-letter queue/);
    assert.equal(best!.fileName, "retries-and-failures.md");
  });
});
