/**
 * `stepwise run <module>`: runs the workflow a module exports and prints its result, optionally
 * printing each streamed event as it comes, and answering the run's `InputRequiredEvent`s.
 */
import { InputRequiredEvent } from "@stepwise/core";
import { CliError, describeError, firstLine } from "./cli-error.js";
import { type DrawLibrary, loadDrawLibrary } from "./draw-library.js";
import { type CliInput, HumanResponder, parseRespondOption } from "./human-input.js";
import { importModule } from "./load-module.js";
import { constructorArgumentsNote, instantiateWorkflow, pickWorkflow } from "./load-workflow.js";
import type { CliOutput } from "./program.js";
import { exportedEventClasses } from "./response-event.js";

/** Options of `stepwise run`, as commander parses them. */
export interface RunCommandOptions {
  export?: string;
  input?: string;
  stream?: boolean;
  draw?: string;
  /** Answers to the run's questions, in order (each a JSON object, text, or a JSON array of them). */
  respond?: string[];
  /** Say how the module is loaded. */
  verbose?: boolean;
}

/**
 * Parses `--input`: it must be a JSON object (its fields become the start event's fields).
 *
 * @throws {@link CliError} naming what was wrong with the text.
 */
export function parseRunInput(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(
      `--input is not valid JSON (${describeError(error)}); pass an object such as '{"query":"What is AI?"}'`,
    );
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const kind = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    throw new CliError(
      `--input must be a JSON object (its fields become the start event's fields); got ${kind}`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * Runs the module's workflow and prints the result (strings as they are, anything else as JSON).
 * Each `InputRequiredEvent` is answered from `--respond`, then from `input` (stdin in the bin).
 */
export async function runCommand(
  modulePath: string,
  options: RunCommandOptions,
  output: CliOutput,
  input?: CliInput,
): Promise<void> {
  const runInput = parseRunInput(options.input);
  const answers = parseRespondOption(options.respond ?? []);
  const moduleExports = await importModule(
    modulePath,
    options.verbose ? { log: (line) => output.stderr(`stepwise: ${line}\n`) } : {},
  );
  const found = pickWorkflow(moduleExports, modulePath, options.export);
  // Before the run, so that a missing @stepwise/draw does not cost a run.
  const draw: DrawLibrary | null = options.draw === undefined ? null : await loadDrawLibrary();
  const workflow = instantiateWorkflow(found);
  const note = constructorArgumentsNote(found);
  const withNote = (message: string) => (note === null ? message : `${message}; ${note}`);

  let handler: ReturnType<typeof workflow.run>;
  try {
    handler = workflow.run(runInput);
  } catch (error) {
    // Validation of the graph or of the input happens before the run starts.
    throw new CliError(withNote(`could not start the run: ${firstLine(describeError(error))}`), 1, {
      cause: error,
    });
  }
  const responder = new HumanResponder({
    workflow,
    handler,
    knownClasses: exportedEventClasses(moduleExports),
    answers,
    input,
    output,
  });

  let result: unknown;
  try {
    try {
      for await (const event of handler.streamEvents()) {
        if (options.stream) output.stdout(`${formatStreamedEvent(event)}\n`);
        if (event instanceof InputRequiredEvent) await responder.answer(event);
      }
    } catch (error) {
      // The CLI could not answer: end the run, then say why.
      await handler.cancel();
      throw error;
    }
    try {
      result = await handler;
    } catch (error) {
      throw new CliError(withNote(`the run failed: ${firstLine(describeError(error))}`), 1, {
        cause: error,
        hasStack: true,
      });
    }
  } finally {
    if (draw !== null && options.draw !== undefined) {
      const path = draw.drawMostRecentExecution(handler, { filename: options.draw, workflow });
      output.stderr(`wrote ${path}\n`);
    }
  }
  if (result !== undefined) output.stdout(`${formatResult(result)}\n`);
}

/** `eventType {json of its fields}`, one line. Errors in the fields show their name and message. */
export function formatStreamedEvent(event: { toJSON(): { type: string; data: unknown } }): string {
  const { type, data } = event.toJSON();
  return `${type} ${JSON.stringify(data ?? {}, showErrors)}`;
}

/** A JSON replacer: an `Error`'s own fields are not enumerable, so JSON would print `{}`. */
function showErrors(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

/** A string result as it is; anything else as indented JSON. */
export function formatResult(result: unknown): string {
  if (typeof result === "string") return result;
  return JSON.stringify(result, null, 2) ?? String(result);
}
