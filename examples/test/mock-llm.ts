/**
 * An AI SDK mock LLM (`MockLanguageModelV3` from "ai/test") whose answer is a function of the
 * prompt, for both `generateText` and `streamText` (which gets the answer word by word).
 */
import { MockLanguageModelV3, simulateReadableStream } from "ai/test";

type CallOptions = Parameters<MockLanguageModelV3["doGenerate"]>[0];

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};
const finishReason = { unified: "stop" as const, raw: "stop" };

/** The text of the prompt's last user message. */
export function promptText(options: CallOptions): string {
  const user = options.prompt.filter((message) => message.role === "user").at(-1);
  if (!user || typeof user.content === "string") return "";
  return user.content.map((part) => (part.type === "text" ? part.text : "")).join("");
}

/** A mock model answering `reply(prompt)`; its `prompts` lists every prompt it was sent. */
export function mockLlm(reply: (prompt: string) => string): MockLanguageModelV3 & {
  prompts: string[];
} {
  const prompts: string[] = [];
  const model = new MockLanguageModelV3({
    provider: "mock",
    modelId: "mock-model",
    doGenerate: async (options) => {
      const prompt = promptText(options);
      prompts.push(prompt);
      return {
        content: [{ type: "text", text: reply(prompt) }],
        finishReason,
        usage,
        warnings: [],
      };
    },
    doStream: async (options) => {
      const prompt = promptText(options);
      prompts.push(prompt);
      const words = reply(prompt).match(/\S+\s*/g) ?? [];
      return {
        stream: simulateReadableStream({
          chunks: [
            { type: "stream-start" as const, warnings: [] },
            { type: "text-start" as const, id: "t" },
            ...words.map((delta) => ({ type: "text-delta" as const, id: "t", delta })),
            { type: "text-end" as const, id: "t" },
            { type: "finish" as const, finishReason, usage },
          ],
          initialDelayInMs: null,
          chunkDelayInMs: null,
        }),
      };
    },
  });
  return Object.assign(model, { prompts });
}
