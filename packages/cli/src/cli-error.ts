/**
 * An error the CLI reports as one line (`stepwise: error: <message>`) with exit code 1 and no
 * stack trace: the user gave something the command cannot use, and the message says what to change.
 * With `--verbose` (or `STEPWISE_DEBUG=1`) the stack and the cause chain of `cause` follow.
 */
export class CliError extends Error {
  override readonly name = "CliError";
  /**
   * Whether `cause` came from the user's code (a step, a module's top level), so that its stack
   * is worth reading: the one line then says that `--verbose` prints it.
   */
  readonly hasStack: boolean;

  constructor(
    message: string,
    readonly exitCode = 1,
    options?: ErrorOptions & { hasStack?: boolean },
  ) {
    super(message, options);
    this.hasStack = options?.hasStack === true;
  }
}

/** `Name: message` of any thrown value (just the message for a plain `Error`), without stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    return error.name && error.name !== "Error" ? `${error.name}: ${error.message}` : error.message;
  }
  return String(error);
}

/**
 * The message on one line: its lines joined, without stack frames (`at ...`), and without the
 * header line of an esbuild error ("Transform failed with 1 error:").
 */
export function firstLine(text: string): string {
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("at "));
  const header = /^(?:\w+: )?(?:Transform|Build) failed with \d+ errors?:$/;
  if (lines.length > 1 && header.test(lines[0]!)) lines.shift();
  return lines.join(" ");
}

/**
 * The stack of `error` and of each error in its `cause` chain, each cause introduced by
 * `Caused by:`. Values that are not errors are printed as they are.
 */
export function formatErrorChain(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && !seen.has(current) && parts.length < 20) {
    seen.add(current);
    const text = current instanceof Error ? describeWithFrames(current) : String(current);
    parts.push(parts.length === 0 ? text : `Caused by: ${text}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join("\n");
}

// `Name: message` and the stack's frames. Not the stack's own first line: V8 writes it when the
// error is made, before a subclass's `name` field is set, so it would say `Error`.
function describeWithFrames(error: Error): string {
  const frames = (error.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  return [describeError(error), ...frames].join("\n");
}
