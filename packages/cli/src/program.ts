/**
 * The `stepwise` command line: `stepwise draw` and `stepwise run`, parsed with commander.
 */
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { CliError, describeError } from "./cli-error.js";

/** Where the CLI writes. Tests pass their own; the bin passes process.stdout / process.stderr. */
export interface CliOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const VERSION = "0.1.0";

function parsePositiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new InvalidArgumentError("expected an integer of at least 1.");
  }
  return parsed;
}

/** Builds the commander program. Its actions write to `output` and throw {@link CliError}s. */
export function createProgram(output: CliOutput): Command {
  const program = new Command("stepwise")
    .description("Draw and run stepwise workflows.")
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .showHelpAfterError("(run `stepwise --help` for usage)")
    .configureOutput({ writeOut: output.stdout, writeErr: output.stderr })
    .exitOverride()
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  $ stepwise draw examples/src/rag.ts -o rag.html",
        "  $ stepwise draw examples/src/rag.ts --mermaid",
        `  $ stepwise run examples/src/rag.ts --input '{"query":"What is AI?"}' --stream`,
      ].join("\n"),
    );

  program
    .command("draw")
    .description(
      "Draw the workflow a module exports: an HTML page (default) or Mermaid text (--mermaid).",
    )
    .argument("<module>", "a .ts or .js file exporting a Workflow instance or subclass")
    .option("-e, --export <name>", "the export to draw, when the module exports several workflows")
    .option(
      "-o, --output <file>",
      "where to write (default: <module name>.html; with --mermaid: print to stdout)",
    )
    .option("--mermaid", "write Mermaid flowchart text instead of HTML")
    .option(
      "--max-label-length <n>",
      "shorten longer labels to n characters (the last one becomes *)",
      parsePositiveInteger,
    )
    .action(async (modulePath: string, options) => {
      // Loaded on use, so that `--help` does not load the engine and the layout library.
      const { drawCommand } = await import("./draw-command.js");
      await drawCommand(modulePath, options, output);
    });

  program
    .command("run")
    .description("Run the workflow a module exports and print its result.")
    .argument("<module>", "a .ts or .js file exporting a Workflow instance or subclass")
    .option("-e, --export <name>", "the export to run, when the module exports several workflows")
    .option("-i, --input <json>", 'run input as a JSON object, e.g. \'{"query":"What is AI?"}\'')
    .option("-s, --stream", "print each streamed event as a line `eventType {json}` as it comes")
    .option("--draw <file>", "also write an HTML drawing of what the run did to <file>")
    .action(async (modulePath: string, options) => {
      const { runCommand } = await import("./run-command.js");
      await runCommand(modulePath, options, output);
    });

  return program;
}

/**
 * Runs the CLI on `args` (the arguments after `stepwise`) and resolves to the exit code. Errors
 * become one line on stderr; nothing is thrown.
 */
export async function runCli(args: string[], output: CliOutput): Promise<number> {
  const program = createProgram(output);
  try {
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (or the help / version text).
      return error.exitCode;
    }
    if (error instanceof CliError) {
      output.stderr(`stepwise: error: ${error.message}\n`);
      return error.exitCode;
    }
    output.stderr(`stepwise: error: ${describeError(error)}\n`);
    return 1;
  }
}
