/**
 * LLM calls from workflow steps through the Vercel AI SDK, and the events the examples publish
 * so that `handler.streamEvents()` shows progress and tokens as they arrive.
 */
import { type Context, Event } from "@stepwise/core";
import { generateText, type LanguageModel, streamText } from "ai";
import { z } from "zod";
import { UsageError } from "./cli.js";
import { HOW_TO_SET_A_MODEL, maxRetriesFromEnv } from "./models.js";

/** A piece of text an LLM produced, published while a step streams its answer. */
export class TokenEvent extends Event.define({
  /** The step that is calling the LLM. */
  step: z.string(),
  /** The new text. */
  delta: z.string(),
}) {}

/** A line of progress a step publishes (what it is doing, what it found). */
export class ProgressEvent extends Event.define({
  step: z.string(),
  message: z.string(),
}) {}

/** Options of {@link complete} and {@link streamComplete}. */
export interface CompleteOptions {
  /** A system prompt. */
  system?: string;
  /** Cancels the call (pass `ctx.signal`, aborted when the run is cancelled or times out). */
  signal?: AbortSignal;
  /** Retries of a failed call. @default `STEPWISE_MAX_RETRIES`, else 2 */
  maxRetries?: number;
}

/**
 * Returns `llm`, or throws a {@link UsageError} explaining how to configure one when it is
 * `null` (the environment named no model and none was passed in code).
 */
export function requireModel(llm: LanguageModel | null, workflowName: string): LanguageModel {
  if (llm) return llm;
  throw new UsageError(
    `${workflowName} needs an LLM and none is configured. ${HOW_TO_SET_A_MODEL}`,
  );
}

/** Sends one prompt and returns the whole answer (the AI SDK's `generateText`). */
export async function complete(
  llm: LanguageModel,
  prompt: string,
  options: CompleteOptions = {},
): Promise<string> {
  const { text } = await generateText({
    model: llm,
    prompt,
    system: options.system,
    abortSignal: options.signal,
    maxRetries: options.maxRetries ?? maxRetriesFromEnv(),
  });
  return text;
}

/**
 * Sends one prompt with the AI SDK's `streamText`, publishing each piece of the answer as a
 * {@link TokenEvent} on the run's event stream, and returns the whole answer.
 *
 * @throws the provider's error (e.g. `APICallError`) when the call fails
 */
export async function streamComplete(
  llm: LanguageModel,
  prompt: string,
  ctx: Context<any>,
  step: string,
  options: CompleteOptions = {},
): Promise<string> {
  const result = streamText({
    model: llm,
    prompt,
    system: options.system,
    abortSignal: options.signal ?? ctx.signal,
    maxRetries: options.maxRetries ?? maxRetriesFromEnv(),
    // OpenTelemetry spans for the call (ai.streamText), under the step's span; without a
    // registered tracer provider (no --trace) they go to the API's no-op tracer.
    experimental_telemetry: { isEnabled: true },
  });
  let text = "";
  // fullStream carries errors as parts (textStream would end quietly), so a failed call fails
  // the step instead of producing an empty answer.
  for await (const part of result.fullStream) {
    if (part.type === "text-delta") {
      text += part.text;
      ctx.writeEventToStream(new TokenEvent({ step, delta: part.text }));
    } else if (part.type === "error") {
      throw part.error;
    }
  }
  return text;
}
