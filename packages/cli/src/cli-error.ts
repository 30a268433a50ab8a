/**
 * An error the CLI reports as one line (`stepwise: error: <message>`) with exit code 1 and no
 * stack trace: the user gave something the command cannot use, and the message says what to change.
 */
export class CliError extends Error {
  override readonly name = "CliError";

  constructor(
    message: string,
    readonly exitCode = 1,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** `Name: message` of any thrown value (just the message for a plain `Error`), without stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    return error.name && error.name !== "Error" ? `${error.name}: ${error.message}` : error.message;
  }
  return String(error);
}
