/**
 * Which LLM and embedding model the examples use. In code, pass any AI SDK model object to a
 * workflow's constructor. From the environment, set `STEPWISE_MODEL` (and optionally
 * `STEPWISE_EMBEDDING_MODEL`) to `provider:model`:
 *
 * | value | server | other variables |
 * |---|---|---|
 * | `openai:gpt-4o-mini` | OpenAI (Responses API) | `OPENAI_API_KEY` (required), `OPENAI_BASE_URL` |
 * | `ollama:llama3.2` | Ollama's OpenAI-compatible API | `OLLAMA_BASE_URL` (default `http://127.0.0.1:11434/v1`) |
 * | `local:my-model` | vLLM, llama.cpp, LM Studio, ... (chat completions) | `STEPWISE_BASE_URL` (required), `STEPWISE_API_KEY` |
 */
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { EmbeddingModel, LanguageModel } from "ai";
import { UsageError } from "./cli.js";

/** Ollama's OpenAI-compatible endpoint when `OLLAMA_BASE_URL` is not set. */
export const DEFAULT_OLLAMA_BASE_URL = "http://127.0.0.1:11434/v1";

/** The providers a `provider:model` value may name. */
export const PROVIDERS = ["openai", "ollama", "local"] as const;

/** One of {@link PROVIDERS}. */
export type ProviderName = (typeof PROVIDERS)[number];

/** A parsed `provider:model` value. */
export interface ModelSpec {
  provider: ProviderName;
  modelId: string;
}

/** The environment variables this module reads (a subset of `process.env`). */
export type ModelEnv = Readonly<Record<string, string | undefined>>;

/** How to pick a model, printed when an example needs an LLM and none is configured. */
export const HOW_TO_SET_A_MODEL = `Set STEPWISE_MODEL to one of:
  openai:gpt-4o-mini    OpenAI; needs OPENAI_API_KEY (optional OPENAI_BASE_URL)
  ollama:llama3.2       a local Ollama at ${DEFAULT_OLLAMA_BASE_URL} (override with OLLAMA_BASE_URL)
  local:<model>         any OpenAI-compatible server (vLLM, llama.cpp, LM Studio):
                        also set STEPWISE_BASE_URL, e.g. http://127.0.0.1:8000/v1
or pass an AI SDK model in code, e.g. new JokeFlow({ llm: openai("gpt-4o-mini") }).`;

/**
 * Parses a `provider:model` value such as `openai:gpt-4o-mini`.
 *
 * @param variable the variable it came from, named in the error message
 * @throws {@link UsageError} for a missing model id or an unknown provider
 */
export function parseModelSpec(value: string, variable = "STEPWISE_MODEL"): ModelSpec {
  const colon = value.indexOf(":");
  const provider = colon < 0 ? value : value.slice(0, colon);
  const modelId = colon < 0 ? "" : value.slice(colon + 1).trim();
  if (!(PROVIDERS as readonly string[]).includes(provider)) {
    throw new UsageError(
      `unknown provider \`${provider}\` in ${variable}=${value}: use openai:<model>, ollama:<model> or local:<model>`,
    );
  }
  if (!modelId) {
    throw new UsageError(
      `${variable}=${value} names no model: write it as ${provider}:<model>, e.g. ${example(provider as ProviderName, variable)}`,
    );
  }
  return { provider: provider as ProviderName, modelId };
}

function example(provider: ProviderName, variable: string): string {
  const embedding = variable.includes("EMBEDDING");
  if (provider === "openai")
    return embedding ? "openai:text-embedding-3-small" : "openai:gpt-4o-mini";
  if (provider === "ollama") return embedding ? "ollama:nomic-embed-text" : "ollama:llama3.2";
  return "local:qwen2.5-7b-instruct";
}

// One provider object per server; both chat and embedding models come from it.
function providerFor(spec: ModelSpec, variable: string, env: ModelEnv) {
  switch (spec.provider) {
    case "openai": {
      const apiKey = env.OPENAI_API_KEY;
      if (!apiKey) {
        throw new UsageError(
          `${variable}=openai:${spec.modelId} needs OPENAI_API_KEY: set it, or use ollama:<model> / local:<model> for a local server`,
        );
      }
      return {
        kind: "openai" as const,
        openai: createOpenAI({ apiKey, baseURL: env.OPENAI_BASE_URL || undefined }),
      };
    }
    case "ollama":
      return {
        kind: "compatible" as const,
        compatible: createOpenAICompatible({
          name: "ollama",
          baseURL: checkedUrl(env.OLLAMA_BASE_URL || DEFAULT_OLLAMA_BASE_URL, "OLLAMA_BASE_URL"),
        }),
      };
    case "local": {
      const baseURL = env.STEPWISE_BASE_URL;
      if (!baseURL) {
        throw new UsageError(
          `${variable}=local:${spec.modelId} needs STEPWISE_BASE_URL: set it to your server's OpenAI-compatible URL, e.g. http://127.0.0.1:8000/v1`,
        );
      }
      return {
        kind: "compatible" as const,
        compatible: createOpenAICompatible({
          name: "local",
          baseURL: checkedUrl(baseURL, "STEPWISE_BASE_URL"),
          apiKey: env.STEPWISE_API_KEY || undefined,
        }),
      };
    }
  }
}

function checkedUrl(value: string, variable: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return value;
  } catch {}
  throw new UsageError(
    `${variable}=${value} is not an http(s) URL: set it like http://127.0.0.1:8000/v1`,
  );
}

/**
 * Makes the chat model that `STEPWISE_MODEL` names, or returns `null` when it is not set.
 * `openai:` uses OpenAI's Responses API; `ollama:` and `local:` use the chat-completions path,
 * which is what OpenAI-compatible servers implement.
 *
 * @throws {@link UsageError} for an unknown provider, a missing key or a missing base URL
 */
export function languageModelFromEnv(env: ModelEnv = process.env): LanguageModel | null {
  const value = env.STEPWISE_MODEL?.trim();
  if (!value) return null;
  const spec = parseModelSpec(value, "STEPWISE_MODEL");
  const provider = providerFor(spec, "STEPWISE_MODEL", env);
  return provider.kind === "openai"
    ? provider.openai(spec.modelId)
    : provider.compatible.chatModel(spec.modelId);
}

/**
 * Makes the embedding model that `STEPWISE_EMBEDDING_MODEL` names (e.g.
 * `openai:text-embedding-3-small`, `ollama:nomic-embed-text`), or returns `null` when it is not
 * set, in which case the RAG example uses offline GloVe word vectors.
 *
 * @throws {@link UsageError} for an unknown provider, a missing key or a missing base URL
 */
export function embeddingModelFromEnv(env: ModelEnv = process.env): EmbeddingModel | null {
  const value = env.STEPWISE_EMBEDDING_MODEL?.trim();
  if (!value) return null;
  const spec = parseModelSpec(value, "STEPWISE_EMBEDDING_MODEL");
  const provider = providerFor(spec, "STEPWISE_EMBEDDING_MODEL", env);
  return provider.kind === "openai"
    ? provider.openai.embedding(spec.modelId)
    : provider.compatible.embeddingModel(spec.modelId);
}

/** A short name for a model, such as `ollama.chat:llama3.2`, for progress output. */
export function describeModel(model: LanguageModel | EmbeddingModel): string {
  if (typeof model === "string") return model;
  return `${model.provider}:${model.modelId}`;
}

/**
 * How many times a failed model call is retried (the AI SDK's `maxRetries`): `STEPWISE_MAX_RETRIES`,
 * default 2.
 */
export function maxRetriesFromEnv(env: ModelEnv = process.env): number {
  const value = env.STEPWISE_MAX_RETRIES;
  if (value === undefined || value === "") return 2;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new UsageError(`STEPWISE_MAX_RETRIES=${value} must be a whole number (0 or more)`);
  }
  return n;
}
