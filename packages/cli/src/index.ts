/**
 * The `stepwise` command line as a library: run it in-process, or reuse how it finds the workflow
 * a module exports.
 *
 * @example
 * ```ts
 * import { runCli } from "@stepwise/cli";
 *
 * const code = await runCli(["draw", "examples/src/rag.ts", "-o", "rag.html"], {
 *   stdout: (text) => process.stdout.write(text),
 *   stderr: (text) => process.stderr.write(text),
 * });
 * ```
 *
 * @packageDocumentation
 */

// Errors the CLI reports as one line
export { CliError } from "./cli-error.js";
// Commands
export { type DrawCommandOptions, drawCommand } from "./draw-command.js";
// Answers to a run's questions (InputRequiredEvent)
export { type CliInput, parseRespondOption } from "./human-input.js";
// Find and load the workflow a module exports
export { type ImportModuleOptions, importModule } from "./load-module.js";
export {
  type FoundWorkflow,
  instantiateWorkflow,
  isWorkflowExport,
  pickWorkflow,
} from "./load-workflow.js";
export { type ModuleFormat, moduleFormat } from "./module-format.js";
// Run the CLI
export { type CliOptions, type CliOutput, createProgram, runCli } from "./program.js";
export {
  formatResult,
  formatStreamedEvent,
  parseRunInput,
  type RunCommandOptions,
  runCommand,
} from "./run-command.js";
