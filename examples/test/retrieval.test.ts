import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { MockEmbeddingModelV3 } from "ai/test";
import { UsageError } from "../src/lib/cli.js";
import {
  type Document,
  loadDirectory,
  splitIntoChunks,
  splitSentences,
} from "../src/lib/documents.js";
import { aiSdkEmbedder, cosineSimilarity, type Embedder } from "../src/lib/embeddings.js";
import { crudeStem, extractAnswer, keywordOverlap } from "../src/lib/extractive.js";
import { VectorStoreIndex } from "../src/lib/vector-index.js";

// A tiny embedder: one dimension per topic word, so similarities are easy to predict.
const TOPICS = ["cat", "dog", "price", "retry"];
const topicEmbedder: Embedder = {
  name: "topics",
  async embed(texts) {
    return texts.map((text) => TOPICS.map((topic) => (text.toLowerCase().includes(topic) ? 1 : 0)));
  },
};

const doc = (fileName: string, text: string): Document => ({
  text,
  metadata: { fileName, filePath: `/data/${fileName}` },
});

describe("loadDirectory", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "stepwise-docs-"));
    await mkdir(join(dir, "sub"));
    await writeFile(join(dir, "b.md"), "# B\n\nSecond file.");
    await writeFile(join(dir, "a.txt"), "First file.\r\n");
    await writeFile(join(dir, "sub", "c.md"), "Nested file.");
    await writeFile(join(dir, "image.png"), "not text");
    await writeFile(join(dir, "empty.md"), "  \n");
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("reads .md and .txt files, recursively, sorted, with fileName metadata", async () => {
    const documents = await loadDirectory(dir);
    assert.deepEqual(
      documents.map((d) => [d.metadata.fileName, d.text]),
      [
        ["a.txt", "First file."],
        ["b.md", "# B\n\nSecond file."],
        [join("sub", "c.md"), "Nested file."],
      ],
    );
  });

  it("says which folder is missing", async () => {
    await assert.rejects(
      loadDirectory(join(dir, "nope")),
      (error: unknown) => error instanceof UsageError && /does not exist/.test(error.message),
    );
  });

  it("says when a folder has no document with text", async () => {
    const empty = await mkdtemp(join(tmpdir(), "stepwise-empty-"));
    try {
      await assert.rejects(loadDirectory(empty), /no \.md or \.txt file with text/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe("splitIntoChunks", () => {
  it("starts a chunk at each heading and repeats the heading in the chunks under it", () => {
    const long = "Word ".repeat(30).trim();
    const chunks = splitIntoChunks(
      doc("a.md", `# Title\n\nIntro.\n\n## Part\n\n${long}.\n\n${long}.`),
      { maxChars: 200 },
    );
    assert.deepEqual(
      chunks.map((c) => c.text),
      ["# Title\n\nIntro.", `## Part\n\n${long}.`, `## Part\n\n${long}.`],
    );
    assert.deepEqual(
      chunks.map((c) => c.id),
      ["a.md#0", "a.md#1", "a.md#2"],
    );
  });

  it("splits a paragraph longer than maxChars at sentence ends", () => {
    const sentence = "This sentence has exactly eight words in it.";
    const chunks = splitIntoChunks(doc("a.txt", Array(6).fill(sentence).join(" ")), {
      maxChars: 100,
    });
    assert.equal(chunks.length, 3);
    for (const chunk of chunks) assert.ok(chunk.text.length <= 100);
  });
});

describe("splitSentences", () => {
  it("joins hard-wrapped lines, keeps list items apart and drops headings and markers", () => {
    assert.deepEqual(
      splitSentences("# Head\n\nOne two\nthree. Four five.\n- item one\n- item two"),
      ["One two three.", "Four five.", "item one", "item two"],
    );
  });
});

describe("VectorStoreIndex", () => {
  const documents = [
    doc("cats.md", "The cat sleeps."),
    doc("dogs.md", "The dog barks."),
    doc("pricing.md", "The price is 29 dollars."),
  ];

  it("returns the top-k chunks by cosine similarity, best first, with scores", async () => {
    const index = await VectorStoreIndex.fromDocuments(documents, topicEmbedder);
    const hits = await index.retrieve("what does the dog cost? price please", 2);
    assert.deepEqual(
      hits.map((h) => h.chunk.metadata.fileName),
      ["dogs.md", "pricing.md"],
    );
    for (const hit of hits) assert.ok(Math.abs(hit.score - Math.SQRT1_2) < 1e-12);
  });

  it("reports embedding progress per batch", async () => {
    const progress: string[] = [];
    await VectorStoreIndex.fromDocuments(documents, topicEmbedder, {
      batchSize: 2,
      onProgress: (done, total) => progress.push(`${done}/${total}`),
    });
    assert.deepEqual(progress, ["2/3", "3/3"]);
  });

  it("embeds through an AI SDK embedding model (MockEmbeddingModelV3)", async () => {
    const calls: string[][] = [];
    const model = new MockEmbeddingModelV3({
      doEmbed: async ({ values }) => {
        calls.push(values);
        return {
          embeddings: values.map((v) => (v.includes("cat") ? [1, 0] : [0, 1])),
          warnings: [],
        };
      },
    });
    const index = await VectorStoreIndex.fromDocuments(documents, aiSdkEmbedder(model));
    const [best] = await index.retrieve("a cat", 1);
    assert.equal(best!.chunk.metadata.fileName, "cats.md");
    assert.equal(best!.score, 1);
    assert.deepEqual(calls.flat().slice(0, 3), [
      "The cat sleeps.",
      "The dog barks.",
      "The price is 29 dollars.",
    ]);
  });
});

describe("cosineSimilarity", () => {
  it("is 1 for parallel, 0 for orthogonal and 0 for a zero vector", () => {
    assert.equal(cosineSimilarity([1, 2], [2, 4]), 1);
    assert.equal(cosineSimilarity([1, 0], [0, 3]), 0);
    assert.equal(cosineSimilarity([0, 0], [1, 1]), 0);
  });
});

describe("extractAnswer", () => {
  const hit = (fileName: string, text: string, score: number) => ({
    chunk: { id: `${fileName}#0`, text, metadata: { fileName, filePath: fileName, chunkIndex: 0 } },
    score,
  });

  it("quotes the sentence that shares the question's rare words, with the sentence after it", async () => {
    const hits = [
      hit(
        "retries.md",
        "Jobs are retried five times. After the last attempt fails, the job is kept. It moves to the dead-letter queue.",
        0.9,
      ),
      hit("faq.md", "Is it fast? Harbor handles many jobs per second.", 0.5),
    ];
    const picked = await extractAnswer("What happens after the last attempt?", hits, topicEmbedder);
    assert.equal(
      picked[0]!.text,
      "After the last attempt fails, the job is kept. It moves to the dead-letter queue.",
    );
    assert.equal(picked[0]!.fileName, "retries.md");
    assert.ok(
      picked.every((p) => !p.text.endsWith("?")),
      "questions are never quoted as answers",
    );
  });

  it("returns nothing when the chunks have no sentence to quote", async () => {
    assert.deepEqual(await extractAnswer("q", [hit("a.md", "Yes.", 1)], topicEmbedder), []);
  });
});

describe("keywordOverlap", () => {
  it("weights rare query words above words every sentence has", () => {
    const [common, rare] = keywordOverlap("job attempts", ["a job here", "the job attempt"]);
    assert.ok(rare! > common!);
    assert.equal(crudeStem("attempts"), "attempt");
  });
});
