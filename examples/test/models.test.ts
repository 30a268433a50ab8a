import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { embedMany, generateText, streamText } from "ai";
import { UsageError } from "../src/lib/cli.js";
import { aiSdkEmbedder } from "../src/lib/embeddings.js";
import {
  DEFAULT_OLLAMA_BASE_URL,
  embeddingModelFromEnv,
  languageModelFromEnv,
  maxRetriesFromEnv,
  parseModelSpec,
} from "../src/lib/models.js";
import {
  type FakeOpenAIServer,
  fakeEmbedding,
  startFakeOpenAIServer,
} from "./fake-openai-server.js";

describe("parseModelSpec", () => {
  it("splits provider and model at the first colon", () => {
    assert.deepEqual(parseModelSpec("ollama:llama3.2:3b"), {
      provider: "ollama",
      modelId: "llama3.2:3b",
    });
  });

  it("rejects an unknown provider, naming the providers that exist", () => {
    assert.throws(
      () => parseModelSpec("anthropic:claude"),
      (error: unknown) =>
        error instanceof UsageError &&
        /unknown provider `anthropic`/.test(error.message) &&
        /openai:<model>, ollama:<model> or local:<model>/.test(error.message),
    );
  });

  it("rejects a value with no model id", () => {
    assert.throws(() => parseModelSpec("openai"), /names no model/);
    assert.throws(() => parseModelSpec("openai:"), /names no model/);
  });
});

describe("languageModelFromEnv", () => {
  it("returns null when STEPWISE_MODEL is not set", () => {
    assert.equal(languageModelFromEnv({}), null);
  });

  it("asks for OPENAI_API_KEY when openai: is chosen without one", () => {
    assert.throws(
      () => languageModelFromEnv({ STEPWISE_MODEL: "openai:gpt-4o-mini" }),
      (error: unknown) => error instanceof UsageError && /needs OPENAI_API_KEY/.test(error.message),
    );
  });

  it("asks for STEPWISE_BASE_URL when local: is chosen without one", () => {
    assert.throws(
      () => languageModelFromEnv({ STEPWISE_MODEL: "local:qwen" }),
      /needs STEPWISE_BASE_URL/,
    );
  });

  it("rejects a base URL that is not http(s)", () => {
    assert.throws(
      () =>
        languageModelFromEnv({ STEPWISE_MODEL: "local:qwen", STEPWISE_BASE_URL: "127.0.0.1:8000" }),
      /is not an http\(s\) URL/,
    );
  });

  it("points ollama: at the local Ollama by default", () => {
    const model = languageModelFromEnv({ STEPWISE_MODEL: "ollama:llama3.2" });
    assert.ok(model && typeof model !== "string");
    assert.equal(model.modelId, "llama3.2");
    assert.equal(DEFAULT_OLLAMA_BASE_URL, "http://127.0.0.1:11434/v1");
  });
});

describe("maxRetriesFromEnv", () => {
  it("defaults to 2 and reads STEPWISE_MAX_RETRIES", () => {
    assert.equal(maxRetriesFromEnv({}), 2);
    assert.equal(maxRetriesFromEnv({ STEPWISE_MAX_RETRIES: "0" }), 0);
    assert.throws(() => maxRetriesFromEnv({ STEPWISE_MAX_RETRIES: "-1" }), UsageError);
  });
});

describe("providers over HTTP (a fake OpenAI-format server on 127.0.0.1)", () => {
  let server: FakeOpenAIServer;
  before(async () => {
    server = await startFakeOpenAIServer({ reply: (prompt) => `echo ${prompt}` });
  });
  after(() => server.close());

  it("local: calls /chat/completions with STEPWISE_API_KEY as bearer token", async () => {
    const model = languageModelFromEnv({
      STEPWISE_MODEL: "local:tiny-model",
      STEPWISE_BASE_URL: server.baseURL,
      STEPWISE_API_KEY: "local-key",
    })!;
    const { text } = await generateText({ model, prompt: "hello there", maxRetries: 0 });
    assert.equal(text, "echo hello there");
    const request = server.requests.at(-1)!;
    assert.equal(request.path, "/v1/chat/completions");
    assert.equal(request.body.model, "tiny-model");
    assert.equal(request.headers.authorization, "Bearer local-key");
  });

  it("ollama: streams chat-completion chunks (SSE) from OLLAMA_BASE_URL", async () => {
    const model = languageModelFromEnv({
      STEPWISE_MODEL: "ollama:llama3.2",
      OLLAMA_BASE_URL: server.baseURL,
    })!;
    const result = streamText({ model, prompt: "stream these words please", maxRetries: 0 });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    assert.ok(deltas.length > 1, "the answer arrives in several pieces");
    assert.equal(deltas.join(""), "echo stream these words please");
    assert.equal(server.requests.at(-1)!.body.stream, true);
  });

  it("openai: calls the Responses API with OPENAI_API_KEY at OPENAI_BASE_URL", async () => {
    const model = languageModelFromEnv({
      STEPWISE_MODEL: "openai:gpt-4o-mini",
      OPENAI_API_KEY: "sk-test",
      OPENAI_BASE_URL: server.baseURL,
    })!;
    const { text } = await generateText({ model, prompt: "what is up", maxRetries: 0 });
    assert.equal(text, "echo what is up");
    const request = server.requests.at(-1)!;
    assert.equal(request.path, "/v1/responses");
    assert.equal(request.headers.authorization, "Bearer sk-test");
  });

  it("openai: streams Responses API events", async () => {
    const model = languageModelFromEnv({
      STEPWISE_MODEL: "openai:gpt-4o-mini",
      OPENAI_API_KEY: "sk-test",
      OPENAI_BASE_URL: server.baseURL,
    })!;
    const result = streamText({ model, prompt: "one two three", maxRetries: 0 });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    assert.equal(deltas.join(""), "echo one two three");
    assert.ok(deltas.length > 1);
  });

  it("openai: embeddings arrive in the encoding the client asks for (float or base64)", async () => {
    const model = embeddingModelFromEnv({
      STEPWISE_EMBEDDING_MODEL: "openai:text-embedding-3-small",
      OPENAI_API_KEY: "sk-test",
      OPENAI_BASE_URL: server.baseURL,
    })!;
    const { embeddings } = await embedMany({ model, values: ["alpha", "beta"], maxRetries: 0 });
    assert.deepEqual(embeddings, [fakeEmbedding("alpha"), fakeEmbedding("beta")]);
    const request = server.requests.at(-1)!;
    assert.equal(request.path, "/v1/embeddings");
    assert.ok(["float", "base64"].includes(request.body.encoding_format));
  });

  it("local: embeddings come back through the Embedder interface in order", async () => {
    const model = embeddingModelFromEnv({
      STEPWISE_EMBEDDING_MODEL: "local:nomic-embed-text",
      STEPWISE_BASE_URL: server.baseURL,
    })!;
    const embedder = aiSdkEmbedder(model, { maxRetries: 0 });
    assert.equal(embedder.name, "local.embedding:nomic-embed-text");
    assert.deepEqual(await embedder.embed(["x", "yy", "zzz"]), [
      fakeEmbedding("x"),
      fakeEmbedding("yy"),
      fakeEmbedding("zzz"),
    ]);
  });
});
