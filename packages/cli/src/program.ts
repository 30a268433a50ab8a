/**
 * The `stepwise` command line: `stepwise draw`, `stepwise run` and `stepwise serve`, parsed with
 * commander.
 */
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { CliError, describeError, firstLine, formatErrorChain } from "./cli-error.js";
import type { CliInput } from "./human-input.js";

/** Where the CLI writes. Tests pass their own; the bin passes process.stdout / process.stderr. */
export interface CliOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** What else the CLI reads, besides its arguments. */
export interface CliOptions {
  /** Where answers to a run's questions come from; the bin passes stdin. @default none */
  input?: CliInput;
  /** The environment, for `STEPWISE_DEBUG`. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

const VERSION = "0.1.0";

const MODULE_HELP =
  "a .ts, .mts, .cts, .js, .mjs or .cjs file exporting a Workflow instance or subclass";

function parsePositiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new InvalidArgumentError("expected an integer of at least 1.");
  }
  return parsed;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError("expected a port number from 0 to 65535.");
  }
  return port;
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new InvalidArgumentError("expected a number of seconds greater than 0.");
  }
  return seconds;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Whether `STEPWISE_DEBUG` asks for stacks: set, and not `0` or `false`. */
function isDebugEnv(env: Readonly<Record<string, string | undefined>>): boolean {
  const value = env.STEPWISE_DEBUG?.trim().toLowerCase();
  return value !== undefined && value !== "" && value !== "0" && value !== "false";
}

/** Builds the commander program. Its actions write to `output` and throw {@link CliError}s. */
export function createProgram(output: CliOutput, options: CliOptions = {}): Command {
  const isDebug = isDebugEnv(options.env ?? process.env);
  const program = new Command("stepwise")
    .description("Draw, run and serve stepwise workflows.")
    .version(VERSION, "-V, --version", "print the version")
    .option("--verbose", "on an error, also print its stack and causes (or set STEPWISE_DEBUG=1)")
    .helpOption("-h, --help", "show help")
    .showHelpAfterError("(run `stepwise --help` for usage)")
    .configureOutput({ writeOut: output.stdout, writeErr: output.stderr })
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  $ stepwise draw examples/src/rag.ts -o rag.html",
        "  $ stepwise draw examples/src/rag.ts --mermaid",
        `  $ stepwise run examples/src/rag.ts --input '{"query":"What is AI?"}' --stream`,
        "  $ stepwise serve examples/src/rag.ts --port 4501",
      ].join("\n"),
    );
  const isVerbose = () => isDebug || program.opts().verbose === true;

  program
    .command("draw")
    .description(
      "Draw the workflow a module exports: an HTML page (default) or Mermaid text (--mermaid).",
    )
    .argument("<module>", MODULE_HELP)
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
    .action(async (modulePath: string, commandOptions) => {
      // Loaded on use, so that `--help` does not load the engine and the layout library.
      const { drawCommand } = await import("./draw-command.js");
      await drawCommand(modulePath, { ...commandOptions, verbose: isVerbose() }, output);
    });

  program
    .command("run")
    .description("Run the workflow a module exports and print its result.")
    .argument("<module>", MODULE_HELP)
    .option("-e, --export <name>", "the export to run, when the module exports several workflows")
    .option("-i, --input <json>", 'run input as a JSON object, e.g. \'{"query":"What is AI?"}\'')
    .option("-s, --stream", "print each streamed event as a line `eventType {json}` as it comes")
    .option(
      "-r, --respond <answer>",
      "answer the run's next question (InputRequiredEvent): a JSON object of the response " +
        "event's fields, or text for its `response` field; repeat it, or pass a JSON array, " +
        "for several",
      collect,
    )
    .option("--draw <file>", "also write an HTML drawing of what the run did to <file>")
    .addHelpText(
      "after",
      [
        "",
        "Questions: for each InputRequiredEvent of the run, the CLI sends the workflow's own",
        "HumanResponseEvent subclass (the one a step waits for with ctx.waitForEvent, else one a",
        "step accepts). Answers come from --respond, then from stdin: a prompt on a terminal,",
        'one line per question from a pipe. A JSON object ({"approved":true}) gives the event\'s',
        "fields; plain text fills its `response` field. The workflow's timeout still applies.",
        "",
        "Examples:",
        `  $ stepwise run refund.ts --input '{"amount":250}' --respond '{"approved":true}'`,
        `  $ echo '{"approved":false}' | stepwise run refund.ts --input '{"amount":250}'`,
      ].join("\n"),
    )
    .action(async (modulePath: string, commandOptions) => {
      const { runCommand } = await import("./run-command.js");
      await runCommand(
        modulePath,
        { ...commandOptions, verbose: isVerbose() },
        output,
        options.input,
      );
    });

  program
    .command("serve")
    .description(
      "Serve every workflow a module exports over HTTP, with the LlamaIndex workflow server's protocol.",
    )
    .argument("<module>", MODULE_HELP)
    .option("-p, --port <port>", "the TCP port (0: any free one)", parsePort, 4501)
    .option("--host <host>", "the interface to listen on", "127.0.0.1")
    .option(
      "--token <token>",
      "require `Authorization: Bearer <token>` on every route but /health (or set STEPWISE_SERVER_TOKEN)",
    )
    .option(
      "--store <file>",
      "journal runs and keep handlers in this SQLite file (@stepwise/sqlite); a restarted server resumes them",
    )
    .option(
      "--idle-timeout <seconds>",
      "with --store: how long a run may wait idle (for an answer) before it leaves memory (default 60)",
      parseSeconds,
    )
    .action(async (modulePath: string, commandOptions) => {
      const { serveCommand, untilStopped } = await import("./serve-command.js");
      const serving = await serveCommand(
        modulePath,
        { ...commandOptions, verbose: isVerbose() },
        output,
        options.env ?? process.env,
      );
      await untilStopped(serving);
    });

  return program;
}

/**
 * Runs the CLI on `args` (the arguments after `stepwise`) and resolves to the exit code. Errors
 * become one line on stderr (followed by the stack and causes with `--verbose` or
 * `STEPWISE_DEBUG=1`); nothing is thrown.
 */
export async function runCli(
  args: string[],
  output: CliOutput,
  options: CliOptions = {},
): Promise<number> {
  const program = createProgram(output, options);
  const isVerbose = () => isDebugEnv(options.env ?? process.env) || program.opts().verbose === true;
  try {
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (or the help / version text).
      return error.exitCode;
    }
    if (error instanceof CliError) {
      const hint = error.hasStack && !isVerbose() ? " (--verbose prints the stack)" : "";
      output.stderr(`stepwise: error: ${error.message}${hint}\n`);
      if (isVerbose() && error.cause !== undefined) {
        output.stderr(`${formatErrorChain(error.cause)}\n`);
      }
      return error.exitCode;
    }
    // Not an error the CLI expected: a bug, whose stack is worth having.
    output.stderr(`stepwise: error: ${firstLine(describeError(error))}\n`);
    if (isVerbose()) output.stderr(`${formatErrorChain(error)}\n`);
    return 1;
  }
}
