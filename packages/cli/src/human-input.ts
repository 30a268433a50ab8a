/**
 * Answers a run's `InputRequiredEvent`s: from `--respond`, then from stdin (a prompt on a
 * terminal, one line per answer from a pipe). The answer is sent into the run as the workflow's
 * own `HumanResponseEvent` subclass (see `response-event.ts`).
 */
import type { EventClass, InputRequiredEvent, Workflow, WorkflowHandler } from "@stepwise/core";
import { CliError } from "./cli-error.js";
import type { CliOutput } from "./program.js";
import {
  type Answer,
  AnswerMismatch,
  buildResponse,
  describeAnswer,
  parseAnswerLine,
  responseTargets,
} from "./response-event.js";

/** Where answers typed by a person or piped in come from (the bin passes stdin). */
export interface CliInput {
  /** Whether a person is typing: the CLI shows a prompt, and asks again after an answer that does not fit. */
  readonly isInteractive: boolean;
  /**
   * The next line, or null at the end of the input or once `signal` aborts. `prompt` is shown
   * first when interactive.
   */
  readLine(prompt: string, signal: AbortSignal): Promise<string | null>;
}

/**
 * Parses the `--respond` values. Each is one answer: a JSON object of fields, or text (a JSON
 * string counts as its text, and so does anything that is not JSON, `--respond yes`); or a JSON
 * array of such answers.
 *
 * @throws {@link CliError} for an array item that is neither an object nor a string.
 */
export function parseRespondOption(values: readonly string[]): Answer[] {
  return values.flatMap((raw): Answer[] => {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return [{ kind: "text", text: raw }];
    }
    if (!Array.isArray(value)) return [toAnswer(value) ?? { kind: "text", text: raw }];
    return value.map((item) => {
      const answer = toAnswer(item);
      if (answer === null) {
        throw new CliError(
          `--respond ${raw}: each answer in the array must be a JSON object of fields or a string; got ${JSON.stringify(item)}`,
        );
      }
      return answer;
    });
  });
}

// A JSON object or string as an answer; null for anything else.
function toAnswer(value: unknown): Answer | null {
  if (typeof value === "string") return { kind: "text", text: value };
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    return {
      kind: "fields",
      fields: value as Record<string, unknown>,
      text: JSON.stringify(value),
    };
  }
  return null;
}

/** What {@link HumanResponder} needs about the run it answers. */
export interface HumanResponderOptions {
  workflow: Workflow;
  handler: WorkflowHandler;
  /** Event classes the module exports (a waited-for class need not be in the graph). */
  knownClasses: readonly EventClass[];
  /** Answers from `--respond`, used first, in order. */
  answers: readonly Answer[];
  input: CliInput | undefined;
  output: CliOutput;
}

/** Answers each `InputRequiredEvent` of one run, in the order they come. */
export class HumanResponder {
  readonly #options: HumanResponderOptions;
  readonly #answers: Answer[];
  readonly #answered = new Set<string>();
  readonly #ended: Promise<"ended">;

  constructor(options: HumanResponderOptions) {
    this.#options = options;
    this.#answers = [...options.answers];
    this.#ended = Promise.resolve(options.handler).then(
      () => "ended" as const,
      () => "ended" as const,
    );
  }

  /**
   * Asks for an answer to `request` and sends the response event into the run. Returns without
   * sending when the run ends while the question is open.
   *
   * @throws {@link CliError} when nothing can answer, no answer is left, or a non-interactive
   * answer does not fit.
   */
  async answer(request: InputRequiredEvent): Promise<void> {
    const { workflow, handler, knownClasses, output } = this.#options;
    const type = request.toJSON().type;
    const targets = responseTargets(workflow, handler, request, knownClasses, this.#answered);
    const first = targets[0];
    if (first === undefined) {
      throw new CliError(
        `the run asks for input (\`${type}\`), but no step accepts or waits for an event class the CLI can find to answer it: ` +
          "accept a HumanResponseEvent subclass in a step, or export the class a step waits for from the module",
      );
    }
    output.stderr(`${describeRequest(request)}\n  ${describeAnswer(first)}\n`);

    for (;;) {
      const next = await this.#nextAnswer();
      if (next === "ended") return;
      if (next === null) {
        throw new CliError(
          `the run asks for input (\`${type}\`) and no answer is left; answer on a terminal, pipe the answers in (one line each), or pass --respond '<json>'`,
        );
      }
      const { answer, source } = next;
      const built = answer instanceof AnswerMismatch ? answer : buildResponse(answer, targets);
      if (built instanceof AnswerMismatch) {
        if (source === "terminal") {
          output.stderr(`  ${built.message}\n`);
          continue;
        }
        throw new CliError(
          `the answer from ${source} to \`${type}\` does not fit: ${built.message}`,
        );
      }
      if (source !== "terminal") output.stderr(`  answer from ${source}: ${answerText(answer)}\n`);
      if (built.target.waiterId !== null) this.#answered.add(built.target.waiterId);
      handler.sendEvent(built.event);
      return;
    }
  }

  async #nextAnswer(): Promise<
    { answer: Answer | AnswerMismatch; source: string } | null | "ended"
  > {
    const given = this.#answers.shift();
    if (given !== undefined) return { answer: given, source: "--respond" };
    const { input } = this.#options;
    if (input === undefined) return null;
    const abort = new AbortController();
    const line = await Promise.race([input.readLine("> ", abort.signal), this.#ended]);
    if (line === "ended") {
      abort.abort();
      return "ended";
    }
    if (line === null) return null;
    return {
      answer: parseAnswerLine(line),
      source: input.isInteractive ? "terminal" : "stdin",
    };
  }
}

function answerText(answer: Answer | AnswerMismatch): string {
  return answer instanceof AnswerMismatch ? "" : answer.text;
}

/** `Type: prompt` when the request has a `prompt` text, else `Type {fields}`. */
function describeRequest(request: InputRequiredEvent): string {
  const { type, data } = request.toJSON();
  const prompt = data.prompt;
  return typeof prompt === "string" ? `${type}: ${prompt}` : `${type} ${JSON.stringify(data)}`;
}
