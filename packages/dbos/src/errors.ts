/** The errors of `@stepwise/dbos`, each with a `code` to match on. */
/** What went wrong, as {@link DbosRuntimeError.code} reports it. */
export type DbosRuntimeErrorCode =
  /** The database cannot be reached (host, port, or the server is down). */
  | "unreachable"
  /** The database refused the connection (user, password, database name). */
  | "connectionRefused"
  /** Another live process holds this executor id. */
  | "executorInUse"
  /** The options given to `new DbosRuntime()` are not valid. */
  | "invalidOptions"
  /** A run with this id exists on the database (for another workflow, or ended). */
  | "runIdTaken"
  /** No worker has served the run's workflow on the database. */
  | "noWorker"
  /** The run is not on the database. */
  | "unknownRun"
  /** The run has ended: nothing more can be sent into it. */
  | "runEnded"
  /** A value cannot be stored (a step's output, an event field). */
  | "unserializable"
  /** The run executes in another process: what was asked exists only there. */
  | "remoteRun"
  /** The runtime was shut down. */
  | "shutDown"
  /** The tables on the database were written by a newer version. */
  | "unsupportedVersion";

/** An error of the DBOS runtime: `code` says which, the message says what to change. */
export class DbosRuntimeError extends Error {
  override readonly name = "DbosRuntimeError";
  readonly code: DbosRuntimeErrorCode;
  /** The run concerned, when there is one. */
  declare readonly runId?: string;

  constructor(
    code: DbosRuntimeErrorCode,
    message: string,
    details: { runId?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.runId !== undefined) {
      Object.defineProperty(this, "runId", { value: details.runId, enumerable: true });
    }
  }
}

/** A connection failure, told as what to check. */
export function connectionError(error: unknown, url: string): DbosRuntimeError {
  const code = (error as { code?: unknown })?.code;
  const shown = redact(url);
  const reason = error instanceof Error ? error.message : String(error);
  if (code === "28P01" || code === "28000" || code === "3D000") {
    return new DbosRuntimeError(
      "connectionRefused",
      `Postgres at ${shown} refused the connection (${reason}). Check the user, password and database name in \`databaseUrl\`.`,
      { cause: error },
    );
  }
  return new DbosRuntimeError(
    "unreachable",
    `Postgres at ${shown} cannot be reached (${reason}). Check that it is running and that \`databaseUrl\` names its host and port.`,
    { cause: error },
  );
}

/** A database URL without its password. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an unreadable URL)";
  }
}
