import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Event, getWorkflowGraph, StopEvent } from "@stepwise/core";
import { countWords, ShortenFlow, type ShortenResult } from "../src/branch-loop.js";
import { type CorpusReport, FanOutFlow, topTerms } from "../src/fan-out.js";
import {
  ApprovalRequestEvent,
  ApprovalResponseEvent,
  parseAnswer,
  type RefundDecision,
  RefundFlow,
} from "../src/human-in-the-loop.js";
import { JokeFlow } from "../src/joke.js";
import { UsageError } from "../src/lib/cli.js";
import type { Document } from "../src/lib/documents.js";
import type { Embedder } from "../src/lib/embeddings.js";
import { ProgressEvent, TokenEvent } from "../src/lib/llm.js";
import { VectorStoreIndex } from "../src/lib/vector-index.js";
import { RAGWorkflow, type RagResult } from "../src/rag.js";
import { SummarizerWorkflow } from "../src/summarizer.js";
import { mockLlm } from "./mock-llm.js";

// Runs a workflow to the end, returning its result and every published event.
async function runCollecting(
  handler: ReturnType<RAGWorkflow["run"]>,
): Promise<{ result: any; events: Event[] }> {
  const events: Event[] = [];
  for await (const ev of handler.streamEvents()) events.push(ev);
  return { result: await handler, events };
}

const tokens = (events: Event[]) =>
  events.filter((ev): ev is TokenEvent => ev instanceof TokenEvent).map((ev) => ev.delta);

describe("JokeFlow", () => {
  it("writes a joke about the topic, then streams a critique of it as the result", async () => {
    const llm = mockLlm((prompt) =>
      prompt.startsWith("Write")
        ? "Why did the pirate learn C? For the arrays."
        : "A pun on arrays.",
    );
    const { result, events } = await runCollecting(new JokeFlow({ llm }).run({ topic: "pirates" }));
    assert.equal(result, "A pun on arrays.");
    assert.match(llm.prompts[0]!, /joke about pirates/);
    assert.match(
      llm.prompts[1]!,
      /analysis of this joke: Why did the pirate learn C\? For the arrays\./,
    );
    assert.deepEqual(tokens(events), ["A ", "pun ", "on ", "arrays."]);
    assert.ok(events.some((ev) => ev instanceof ProgressEvent && /pirate/.test(ev.message)));
  });

  it("fails with a UsageError naming STEPWISE_MODEL when it has no LLM", async () => {
    await assert.rejects(
      Promise.resolve(new JokeFlow({ llm: null }).run({ topic: "x" })),
      (error: unknown) => error instanceof UsageError && /STEPWISE_MODEL/.test(error.message),
    );
  });
});

describe("SummarizerWorkflow", () => {
  it("extracts key points (dropping bullets and numbers), then summarizes from them", async () => {
    const llm = mockLlm((prompt) =>
      prompt.startsWith("Extract")
        ? "1. Harbor is a job queue.\n- It stores state in PostgreSQL.\n\n* Workers poll the broker."
        : "Harbor is a PostgreSQL-backed job queue.",
    );
    const summary = await new SummarizerWorkflow({ llm }).run({ text: "Long text about Harbor." });
    assert.equal(summary, "Harbor is a PostgreSQL-backed job queue.");
    assert.match(llm.prompts[0]!, /Text: Long text about Harbor\./);
    assert.match(
      llm.prompts[1]!,
      /- Harbor is a job queue\.\n- It stores state in PostgreSQL\.\n- Workers poll the broker\./,
    );
  });
});

describe("RAGWorkflow", () => {
  // One dimension per topic word keeps similarities predictable.
  const topics = ["retry", "price", "install", "queue"];
  const embedder: Embedder = {
    name: "topics",
    async embed(texts) {
      return texts.map((t) => topics.map((topic) => (t.toLowerCase().includes(topic) ? 1 : 0.01)));
    },
  };
  const doc = (fileName: string, text: string): Document => ({
    text,
    metadata: { fileName, filePath: fileName },
  });
  let index: VectorStoreIndex;
  before(async () => {
    index = await VectorStoreIndex.fromDocuments(
      [
        doc(
          "retries.md",
          "Each retry waits longer. After five, the job goes to the dead-letter queue.",
        ),
        doc("pricing.md", "The price is 29 dollars a month."),
        doc("install.md", "To install, run the container."),
      ],
      embedder,
    );
  });

  it("retrieves the top-k chunks and streams an LLM answer with its sources", async () => {
    const llm = mockLlm(() => "Five retries, then the dead-letter queue [retries.md].");
    const handler = new RAGWorkflow(index, { llm, topK: 2 }).run({ query: "How does retry work?" });
    const { result, events } = await runCollecting(handler);
    const rag = result as RagResult;
    assert.equal(rag.mode, "llm");
    assert.equal(rag.model, "mock:mock-model");
    assert.equal(rag.answer, "Five retries, then the dead-letter queue [retries.md].");
    assert.equal(rag.numSources, 2);
    assert.equal(rag.sources[0]!.fileName, "retries.md");
    assert.ok(rag.sources[0]!.score > rag.sources[1]!.score);
    assert.equal(tokens(events).join(""), rag.answer);
    assert.match(llm.prompts[0]!, /\[1\] \(retries\.md\)\nEach retry waits longer\./);
    assert.match(llm.prompts[0]!, /Question: How does retry work\?/);
    const progress = events.find((ev) => ev instanceof ProgressEvent) as ProgressEvent;
    assert.match(progress.message, /retrieved 2 of 3 chunks/);
  });

  it("answers extractively, and says so, when no LLM is configured", async () => {
    const rag = (await new RAGWorkflow(index, { llm: null }).run({
      query: "What happens after the retries, which queue?",
    })) as RagResult;
    assert.equal(rag.mode, "extractive");
    assert.equal(rag.model, null);
    assert.match(rag.answer.split("\n")[0]!, /dead-letter queue\. \[retries\.md\]$/);
    assert.equal(rag.numSources, 3);
  });

  it("fails with a UsageError when run without a query", async () => {
    await assert.rejects(
      Promise.resolve(new RAGWorkflow(index, { llm: null }).run({})),
      (error: unknown) => error instanceof UsageError && /needs a question/.test(error.message),
    );
  });

  it("can be drawn from its class, without an index", () => {
    const graph = getWorkflowGraph(RAGWorkflow);
    const steps = graph.nodes.filter((n) => n.kind === "step").map((n) => n.name);
    assert.deepEqual(steps.sort(), ["retrieve", "synthesize"]);
  });
});

describe("ShortenFlow (branches and loops)", () => {
  const text =
    "Harbor runs background jobs. It keeps state in PostgreSQL. Workers poll the broker. Queues have limits.";

  it("loops through review and revision until the text fits", async () => {
    const result = (await new ShortenFlow({ llm: null }).run({
      text,
      maxWords: 9,
    })) as ShortenResult;
    assert.deepEqual(result, {
      text: "Harbor runs background jobs. It keeps state in PostgreSQL.",
      words: 9,
      rounds: 2,
      fits: true,
    });
  });

  it("stops without looping when the text already fits", async () => {
    const result = (await new ShortenFlow({ llm: null }).run({
      text,
      maxWords: 50,
    })) as ShortenResult;
    assert.equal(result.rounds, 0);
    assert.equal(result.words, countWords(text));
  });

  it("gives up after maxRounds when the LLM never gets short enough", async () => {
    const llm = mockLlm(() => "still far too many words in this rewrite");
    const flow = new ShortenFlow({ llm, maxRounds: 3 });
    const result = (await flow.run({ text, maxWords: 2 })) as ShortenResult;
    assert.equal(result.fits, false);
    assert.equal(result.rounds, 3);
    assert.equal(llm.prompts.length, 3);
    assert.match(llm.prompts[0]!, /at most 2 words.*The draft has 16 words; the limit is 2/s);
  });
});

describe("FanOutFlow (fan-out / fan-in)", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "stepwise-fan-"));
    for (let i = 0; i < 6; i++) {
      await writeFile(join(dir, `doc${i}.md`), `Queue ${i}. ${"worker ".repeat(i + 1)}done.`);
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("analyzes every document and gathers all results once the last arrives", async () => {
    const handler = new FanOutFlow().run({ dir });
    const { result, events } = await runCollecting(handler);
    const report = result as CorpusReport;
    assert.deepEqual(
      report.documents.map((d) => [d.fileName, d.words]),
      [0, 1, 2, 3, 4, 5].map((i) => [`doc${i}.md`, i + 4]),
    );
    assert.equal(report.totalWords, 4 + 5 + 6 + 7 + 8 + 9);
    assert.equal(events.filter((ev) => ev instanceof ProgressEvent).length, 6);
    assert.ok(events.at(-1) instanceof StopEvent);
  });

  it("ranks terms by frequency, skipping common words", () => {
    assert.deepEqual(topTerms("the queue and the queue and the worker", 2), ["queue", "worker"]);
  });
});

describe("RefundFlow (human in the loop)", () => {
  it("approves a small refund without asking anyone", async () => {
    const { result, events } = await runCollecting(
      new RefundFlow().run({ customer: "Ada", amount: 40 }),
    );
    assert.deepEqual(result, { customer: "Ada", amount: 40, approved: true, decidedBy: "policy" });
    assert.ok(!events.some((ev) => ev instanceof ApprovalRequestEvent));
  });

  it("publishes an approval request and finishes with the person's answer", async () => {
    const handler = new RefundFlow().run({ customer: "Ada", amount: 250 });
    const prompts: string[] = [];
    for await (const ev of handler.streamEvents()) {
      if (ev instanceof ApprovalRequestEvent) {
        prompts.push(ev.prompt);
        handler.sendEvent(new ApprovalResponseEvent({ approved: false, reviewer: "test" }));
      }
    }
    const decision = (await handler) as RefundDecision;
    assert.deepEqual(decision, {
      customer: "Ada",
      amount: 250,
      approved: false,
      decidedBy: "test",
    });
    assert.match(prompts[0]!, /Refund 250\.00 to Ada\?/);
  });

  it("reads yes/no answers", () => {
    assert.equal(parseAnswer(" Yes "), true);
    assert.equal(parseAnswer("n"), false);
    assert.equal(parseAnswer("maybe"), null);
  });
});
