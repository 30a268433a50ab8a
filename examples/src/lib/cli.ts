/**
 * What every example script shares: knowing whether it was started as a script, reading simple
 * `--flag value` arguments, and turning a user's mistake into one clear line and a non-zero exit
 * instead of a stack trace.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { APICallError, RetryError } from "ai";

/**
 * A mistake the user can fix (a missing variable, an unknown provider, an empty folder). Scripts
 * print only its message, with no stack trace, and exit with code 1.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * Tells whether the module at `moduleUrl` is the script Node was started with, so that importing
 * an example (from a test, `stepwise draw` or `stepwise run`) does not run its `main`.
 *
 * @example
 * if (isMain(import.meta.url)) await runMain(main);
 */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(fileURLToPath(moduleUrl)) === realpathSync(script);
  } catch {
    return false;
  }
}

/**
 * Runs a script's `main`, printing a user's mistake (see {@link explainError}) as one line on
 * stderr and exiting with code 1; anything else is a bug and keeps its stack trace.
 */
export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    const line = explainError(error);
    if (line === null) throw error;
    process.stderr.write(`error: ${line}\n`);
    process.exitCode = 1;
  }
}

/**
 * Turns an error caused by the user's setup into one line saying what to set or fix, or returns
 * `null` for an error that is a bug (those keep their stack trace).
 */
export function explainError(error: unknown): string | null {
  if (error instanceof UsageError) return error.message;
  const apiError = findApiCallError(error);
  if (apiError) return explainApiCallError(apiError);
  return null;
}

function findApiCallError(error: unknown): APICallError | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (APICallError.isInstance(current)) return current;
    if (RetryError.isInstance(current)) current = current.lastError;
    else current = (current as { cause?: unknown }).cause;
  }
  return null;
}

// The variable that set a base URL, so the message can name what to change.
function baseUrlVariable(url: string): string {
  const candidates = ["STEPWISE_BASE_URL", "OLLAMA_BASE_URL", "OPENAI_BASE_URL"];
  for (const name of candidates) {
    const value = process.env[name];
    if (value && url.startsWith(value.replace(/\/+$/, ""))) return name;
  }
  if (url.startsWith("http://127.0.0.1:11434") || url.startsWith("http://localhost:11434")) {
    return "OLLAMA_BASE_URL";
  }
  return "the base URL (STEPWISE_BASE_URL, OLLAMA_BASE_URL or OPENAI_BASE_URL)";
}

function explainApiCallError(error: APICallError): string {
  const { url, statusCode } = error;
  if (statusCode === undefined) {
    const cause = (error.cause as { code?: string; cause?: { code?: string } } | undefined) ?? {};
    const code = cause.code ?? cause.cause?.code ?? "no answer";
    return `could not reach the model server at ${url} (${code}): start the server or fix ${baseUrlVariable(url)}`;
  }
  if (statusCode === 401 || statusCode === 403) {
    const keyVariable = url.includes("api.openai.com") ? "OPENAI_API_KEY" : "the API key";
    return `the model server at ${url} refused the request (${statusCode}): check ${keyVariable} (OPENAI_API_KEY for openai:, STEPWISE_API_KEY for local:)`;
  }
  if (statusCode === 404) {
    return `the model server at ${url} answered 404: check the model name in STEPWISE_MODEL / STEPWISE_EMBEDDING_MODEL (for Ollama, run \`ollama pull <model>\` first) and that the base URL ends in /v1`;
  }
  const detail = error.message.split("\n")[0];
  return `the model server at ${url} answered ${statusCode}: ${detail}`;
}

/** Flags and positional arguments of a script, e.g. `--data ./docs "my question"`. */
export interface ParsedArgs {
  /** `--name value` pairs (a flag given without a value is `"true"`). */
  flags: Record<string, string>;
  /** Everything that is not a flag, in order. */
  positionals: string[];
}

/**
 * Reads `--name value`, `--name=value` and positional arguments from `argv`. The flags named in
 * `booleans` take no value (`--trace "my question"` keeps the question a positional).
 */
export function parseArgs(
  argv: readonly string[] = process.argv.slice(2),
  booleans: readonly string[] = [],
): ParsedArgs {
  const flags: Record<string, string> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    if (eq > 0) {
      flags[arg.slice(2, eq)] = arg.slice(eq + 1);
    } else if (
      !booleans.includes(arg.slice(2)) &&
      i + 1 < argv.length &&
      !argv[i + 1]!.startsWith("--")
    ) {
      flags[arg.slice(2)] = argv[++i]!;
    } else {
      flags[arg.slice(2)] = "true";
    }
  }
  return { flags, positionals };
}
