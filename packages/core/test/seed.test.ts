/**
 * The seed lesson's workflows (LlamaIndex "Workflow Fundamentals"), written with stepwise and
 * run with deterministic fakes in place of the LLM and the vector index.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Event, StartEvent, StopEvent, step, Workflow, type WorkflowOptions } from "@stepwise/core";
import { z } from "zod";

/** A deterministic stand-in for `OpenAI(model=...)`: echoes what it was asked. */
class FakeLlm {
  readonly prompts: string[] = [];
  constructor(private readonly answer: (prompt: string) => string) {}
  async complete(prompt: string): Promise<string> {
    this.prompts.push(prompt);
    await new Promise((resolve) => setTimeout(resolve, 0));
    return this.answer(prompt);
  }
}

class JokeEvent extends Event.define({ joke: z.string() }) {}

class JokeFlow extends Workflow {
  llm = new FakeLlm((prompt) =>
    prompt.startsWith("Write") ? "Why do pirates love arrrrays?" : "A pun on arrays.",
  );

  @step({ accepts: StartEvent, emits: JokeEvent })
  async generateJoke(ev: StartEvent): Promise<JokeEvent> {
    const response = await this.llm.complete(`Write your best joke about ${ev.topic}.`);
    return new JokeEvent({ joke: response });
  }

  @step({ accepts: JokeEvent, emits: StopEvent })
  async critiqueJoke(ev: JokeEvent): Promise<StopEvent> {
    const response = await this.llm.complete(`Give a brief analysis of this joke: ${ev.joke}`);
    return new StopEvent({ result: response });
  }
}

describe("the seed's JokeFlow", () => {
  it("generates a joke about the topic and critiques it", async () => {
    const workflow = new JokeFlow({ timeout: 60, verbose: false });
    const result = await workflow.run({ topic: "pirates" });
    assert.equal(result, "A pun on arrays.");
    assert.deepEqual(workflow.llm.prompts, [
      "Write your best joke about pirates.",
      "Give a brief analysis of this joke: Why do pirates love arrrrays?",
    ]);
  });

  it("runs from synchronous code", async () => {
    const done = new Promise<string>((resolve) => {
      void new JokeFlow().run({ topic: "cats" }).then(resolve);
    });
    assert.equal(await done, "A pun on arrays.");
  });
});

describe("the seed's typed StartEvent and StopEvent", () => {
  class MyStartEvent extends StartEvent.define({
    query: z.string(),
    maxResults: z.number().default(10),
    includeSources: z.boolean().default(true),
  }) {}
  class ProcessEvent extends Event.define({ query: z.string() }) {}
  class MyStopEvent extends StopEvent.define({
    answer: z.string(),
    sources: z.array(z.string()),
    confidence: z.number(),
  }) {}

  class TypedWorkflow extends Workflow<z.input<typeof MyStartEvent.schema & object>, MyStopEvent> {
    @step({ accepts: MyStartEvent, emits: ProcessEvent })
    async start(ev: MyStartEvent) {
      return new ProcessEvent({ query: `${ev.query} (top ${ev.maxResults})` });
    }

    @step({ accepts: ProcessEvent, emits: MyStopEvent })
    async finish(ev: ProcessEvent) {
      return new MyStopEvent({ answer: ev.query, sources: ["a.md"], confidence: 0.95 });
    }
  }

  it("types the input and returns the typed stop event", async () => {
    const result = await new TypedWorkflow().run({ query: "What is AI?" });
    assert.ok(result instanceof MyStopEvent);
    assert.equal(result.answer, "What is AI? (top 10)");
    assert.equal(result.confidence, 0.95);
  });
});

describe("the seed's StartEvent access", () => {
  class NextEvent extends Event.define({
    query: z.string(),
    maxTokens: z.number(),
    temperature: z.number(),
  }) {}
  class Handle extends Workflow {
    @step({ accepts: StartEvent, emits: NextEvent })
    async handleStart(ev: StartEvent) {
      return new NextEvent({
        query: ev.query,
        maxTokens: ev.max_tokens,
        temperature: ev.get("temperature", 0.7),
      });
    }
    @step({ accepts: NextEvent, emits: StopEvent })
    async end(ev: NextEvent) {
      return new StopEvent({ result: ev.toJSON().data });
    }
  }

  it("reads run() arguments as attributes and optional ones with get()", async () => {
    assert.deepEqual(await new Handle().run({ query: "What is AI?", max_tokens: 100 }), {
      query: "What is AI?",
      maxTokens: 100,
      temperature: 0.7,
    });
  });
});

describe("the seed's concurrent step (numWorkers: 4)", () => {
  class TaskEvent extends Event.define({ task: z.number() }) {}
  class ResultEvent extends Event.define({ result: z.number() }) {}
  const expected = Array.from({ length: 8 }, () => ResultEvent);

  class Concurrent extends Workflow {
    running = 0;
    peak = 0;

    @step({ accepts: StartEvent, emits: TaskEvent })
    async dispatch(_ev: StartEvent, ctx: import("@stepwise/core").Context) {
      for (let task = 0; task < 8; task++) ctx.sendEvent(new TaskEvent({ task }));
      return null;
    }

    @step({ accepts: TaskEvent, emits: ResultEvent, numWorkers: 4 })
    async concurrentStep(ev: TaskEvent) {
      this.running++;
      this.peak = Math.max(this.peak, this.running);
      await new Promise((resolve) => setTimeout(resolve, 2));
      this.running--;
      return new ResultEvent({ result: ev.task * ev.task });
    }

    @step({ accepts: ResultEvent, emits: StopEvent })
    async gather(ev: ResultEvent, ctx: import("@stepwise/core").Context) {
      const all = ctx.collectEvents(ev, expected);
      return all ? new StopEvent({ result: all.reduce((sum, e) => sum + e.result, 0) }) : null;
    }
  }

  it("runs four instances at a time", async () => {
    const wf = new Concurrent();
    assert.equal(await wf.run(), 140);
    assert.equal(wf.peak, 4);
  });
});

describe("the seed's RAG workflow with instance attributes", () => {
  interface Node {
    text: string;
    metadata: { fileName: string };
  }
  class InMemoryIndex {
    constructor(readonly nodes: Node[]) {}
    asRetriever({ similarityTopK }: { similarityTopK: number }) {
      return {
        aretrieve: async (query: string) => {
          const words = query.toLowerCase().split(/\W+/).filter(Boolean);
          const score = (n: Node) => words.filter((w) => n.text.toLowerCase().includes(w)).length;
          return [...this.nodes].sort((a, b) => score(b) - score(a)).slice(0, similarityTopK);
        },
      };
    }
  }
  class RetrieveEvent extends Event.define({
    query: z.string(),
    nodes: z.array(z.custom<Node>()),
  }) {}

  class RAGWorkflow extends Workflow {
    readonly llm = new FakeLlm((prompt) => `Answer from ${prompt.split("\n\n").length} chunks`);
    readonly cache = new Map<string, string>();
    constructor(
      readonly index: InMemoryIndex,
      options: WorkflowOptions = {},
    ) {
      super(options);
    }

    @step({ accepts: StartEvent, emits: RetrieveEvent })
    async retrieve(ev: StartEvent) {
      const nodes = await this.index.asRetriever({ similarityTopK: 5 }).aretrieve(ev.query);
      return new RetrieveEvent({ query: ev.query, nodes });
    }

    @step({ accepts: RetrieveEvent, emits: StopEvent })
    async synthesize(ev: RetrieveEvent) {
      const cached = this.cache.get(ev.query);
      if (cached) return new StopEvent({ result: { answer: cached, cached: true } });
      const context = ev.nodes.map((n) => n.text).join("\n\n");
      const answer = await this.llm.complete(`Context: ${context}\n\nQuestion: ${ev.query}`);
      this.cache.set(ev.query, answer);
      return new StopEvent({
        result: {
          answer,
          sources: ev.nodes.map((n) => n.metadata.fileName),
          numSources: ev.nodes.length,
        },
      });
    }
  }

  const docs = Array.from({ length: 7 }, (_, i) => ({
    text: i % 2 ? `Workflows use events to trigger steps (${i})` : `Unrelated note ${i}`,
    metadata: { fileName: `doc${i}.md` },
  }));

  it("retrieves the top 5 nodes and synthesizes an answer with sources", async () => {
    const workflow = new RAGWorkflow(new InMemoryIndex(docs), { timeout: 60 });
    const result = await workflow.run({ query: "How do workflows trigger steps?" });
    assert.equal(result.numSources, 5);
    assert.deepEqual(result.sources.slice(0, 3), ["doc1.md", "doc3.md", "doc5.md"]);
    assert.match(result.answer, /Answer from/);
  });

  it("answers a repeated query from the instance cache", async () => {
    const workflow = new RAGWorkflow(new InMemoryIndex(docs));
    await workflow.run({ query: "events" });
    const second = await workflow.run({ query: "events" });
    assert.equal(second.cached, true);
    assert.equal(workflow.llm.prompts.length, 1);
  });
});

describe("the seed's summarizer exercise", () => {
  class KeyPointsEvent extends Event.define({ text: z.string(), points: z.array(z.string()) }) {}

  class SummarizerWorkflow extends Workflow {
    llm = new FakeLlm((prompt) =>
      prompt.startsWith("Extract")
        ? "AI transforms industries\n\nML learns from data\nNLP reads text\n"
        : "This article discusses AI.",
    );

    @step({ accepts: StartEvent, emits: KeyPointsEvent })
    async extractPoints(ev: StartEvent) {
      const response = await this.llm.complete(
        `Extract 3-5 key points from this text.\n\nText: ${ev.text}`,
      );
      const points = response
        .split("\n")
        .map((p) => p.trim())
        .filter(Boolean);
      return new KeyPointsEvent({ text: ev.text, points });
    }

    @step({ accepts: KeyPointsEvent, emits: StopEvent })
    async summarize(ev: KeyPointsEvent) {
      const pointsText = ev.points.map((p) => `- ${p}`).join("\n");
      return new StopEvent({
        result: await this.llm.complete(`Create a concise summary:\n${pointsText}`),
      });
    }
  }

  it("extracts key points, then summarizes them", async () => {
    const workflow = new SummarizerWorkflow({ timeout: 60 });
    const result = await workflow.run({
      text: "Artificial intelligence has transformed many industries.",
    });
    assert.equal(`Summary: ${result}`, "Summary: This article discusses AI.");
    assert.match(
      workflow.llm.prompts[1] ?? "",
      /- AI transforms industries\n- ML learns from data\n- NLP reads text/,
    );
  });
});

describe("verbose", () => {
  it("reports each step's start and completion and the result through the logger", async () => {
    const lines: string[] = [];
    const workflow = new JokeFlow({ verbose: true, logger: (line) => lines.push(line) });
    await workflow.run({ topic: "pirates" });
    assert.deepEqual(lines, [
      "[generateJoke:0] started from StartEvent",
      "[generateJoke:0] complete with JokeEvent",
      "[critiqueJoke:0] started from JokeEvent",
      "[critiqueJoke:0] complete with StopEvent",
      '[result] StopEvent(result="A pun on arrays.")',
    ]);
  });

  it("is silent by default", async () => {
    const lines: string[] = [];
    await new JokeFlow({ logger: (line) => lines.push(line) }).run({ topic: "x" });
    assert.deepEqual(lines, []);
  });
});
