/** Errors of the client: the server said no, a stream could not be resumed, an event did not fit. */

/** A response the client did not expect: its status and the server's `detail`. */
export class WorkflowServerError extends Error {
  override readonly name = "WorkflowServerError";
  readonly code = "serverRefused";

  constructor(
    /** The HTTP status. */
    readonly status: number,
    /** The server's `detail`, or the body's text when it had none. */
    readonly detail: string,
    /** What was asked: `POST /workflows/greet/run`. */
    readonly request: string,
  ) {
    super(`${request} answered ${status}: ${detail}`);
  }
}

/** An event stream that dropped and could not be resumed. */
export class StreamDisconnectedError extends Error {
  override readonly name = "StreamDisconnectedError";
  readonly code = "streamDisconnected";

  constructor(
    readonly handlerId: string,
    /** The sequence number of the last event received (-1 for none). */
    readonly lastSeq: number,
    /** How many times in a row it tried. */
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(
      `The event stream of handler ${handlerId} dropped and ${attempts} attempts to resume it after sequence ${lastSeq} failed; call streamEvents(handlerId, { after: ${lastSeq} }) to try again.`,
      options,
    );
  }
}

/** An event the server sent whose fields the client's class for its type refused. */
export class EventDecodeError extends Error {
  override readonly name = "EventDecodeError";
  readonly code = "eventRefused";

  constructor(
    readonly eventType: string,
    options?: ErrorOptions,
  ) {
    super(
      `The server sent a \`${eventType}\` that the class given to the client for it refused: ${options?.cause instanceof Error ? options.cause.message : String(options?.cause)}. Check that the client's and the server's classes agree.`,
      options,
    );
  }
}
