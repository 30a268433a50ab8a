/**
 * The journal file: opened in WAL mode, its schema created or checked, and SQLite's errors turned
 * into `JournalError`s that say what to change. One file holds every run of every owner.
 */
import { JournalError } from "@stepwise/core";
import Database from "better-sqlite3";

/** The format this version writes; a file of a later one is refused, never changed. */
export const FORMAT = "stepwise.sqlite";
export const FORMAT_VERSION = 1;

/** WAL pages written between automatic checkpoints (SQLite's default is 1,000). */
const WAL_CHECKPOINT_PAGES = 10_000;

/** How SQLite syncs a commit to disk. */
export type Synchronous = "full" | "normal";

/** What {@link openJournalFile} needs. */
export interface FileOptions {
  readonly path: string;
  /** How long a write waits for another process's write to finish, in ms. */
  readonly busyTimeout: number;
  readonly synchronous: Synchronous;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS stepwise_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stepwise_owners (
  owner TEXT PRIMARY KEY,
  token TEXT NOT NULL,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  heartbeat_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stepwise_runs (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  workflow TEXT NOT NULL,
  owner TEXT NOT NULL,
  status TEXT NOT NULL,
  steps TEXT NOT NULL,
  base TEXT,
  ticks INTEGER NOT NULL DEFAULT 0,
  events INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  ended_at INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS stepwise_runs_active ON stepwise_runs (run_id)
  WHERE status = 'running';
CREATE INDEX IF NOT EXISTS stepwise_runs_owner ON stepwise_runs (owner, status);
CREATE TABLE IF NOT EXISTS stepwise_ticks (
  run INTEGER NOT NULL,
  n INTEGER NOT NULL,
  at REAL NOT NULL,
  tick TEXT NOT NULL,
  PRIMARY KEY (run, n)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stepwise_events (
  run INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  internal INTEGER NOT NULL,
  event TEXT NOT NULL,
  PRIMARY KEY (run, seq)
) WITHOUT ROWID;
`;

/** SQLite's result codes (and their extended forms) for a damaged file, or not a database at all. */
const CORRUPT = /^SQLITE_(CORRUPT|NOTADB|FORMAT)/;
const BUSY = /^SQLITE_(BUSY|LOCKED)/;

/**
 * A SQLite error as a `JournalError` naming the file: `corrupt` for a damaged file, `locked`
 * for one another process holds; anything else passes unchanged.
 */
export function fileError(error: unknown, path: string, doing: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return error;
  if (CORRUPT.test(code)) {
    return new JournalError(
      "corrupt",
      `The journal file \`${path}\` is damaged or is not a SQLite database (${code} while ${doing}). Restore it from a backup, or give the runtime another \`path\`.`,
      { cause: error },
    );
  }
  if (BUSY.test(code)) {
    return new JournalError(
      "locked",
      `The journal file \`${path}\` is held for writing by another process (${code} while ${doing}). Stop that process, or give this runtime another \`path\`.`,
      { cause: error },
    );
  }
  return error;
}

/**
 * Opens (or creates) the journal file: WAL mode, the schema, the format checked.
 * @throws {@link JournalError} `corrupt`, `locked`, `notAJournal` or `unsupportedVersion`.
 */
export function openJournalFile(options: FileOptions): Database.Database {
  const { path } = options;
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: options.busyTimeout });
  } catch (error) {
    throw fileError(error, path, "opening it");
  }
  try {
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
    db.pragma("foreign_keys = OFF");
    // Every batch appends a few pages to the WAL; a checkpoint copies them into the file and
    // syncs both (twice per checkpoint even under `synchronous = NORMAL`). At SQLite's default
    // of 1,000 pages that is every ~200 batches and a large share of a batch's cost; at 10,000
    // it is ten times rarer, for a WAL of up to ~40 MB. What a commit syncs is unchanged.
    db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
    checkFormat(db, path);
    return db;
  } catch (error) {
    db.close();
    throw fileError(error, path, "reading its schema");
  }
}

function checkFormat(db: Database.Database, path: string): void {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .pluck()
    .all() as string[];
  if (tables.length > 0 && !tables.includes("stepwise_meta")) {
    throw new JournalError(
      "notAJournal",
      `\`${path}\` is a SQLite database of something else (tables: ${tables.slice(0, 5).join(", ")}). Give the runtime a file of its own.`,
    );
  }
  db.transaction(() => {
    db.exec(SCHEMA);
    const meta = new Map(
      (
        db.prepare("SELECT key, value FROM stepwise_meta").all() as { key: string; value: string }[]
      ).map((row) => [row.key, row.value]),
    );
    if (meta.size === 0) {
      const insert = db.prepare("INSERT INTO stepwise_meta (key, value) VALUES (?, ?)");
      insert.run("format", FORMAT);
      insert.run("version", String(FORMAT_VERSION));
      return;
    }
    if (meta.get("format") !== FORMAT) {
      throw new JournalError(
        "notAJournal",
        `\`${path}\` is not a stepwise journal (its format is \`${meta.get("format") ?? "unknown"}\`). Give the runtime a file of its own.`,
      );
    }
    const version = Number(meta.get("version"));
    if (version !== FORMAT_VERSION) {
      throw new JournalError(
        "unsupportedVersion",
        `The journal file \`${path}\` is in format version ${meta.get("version")}; this version of @stepwise/sqlite reads version ${FORMAT_VERSION}. ${version > FORMAT_VERSION ? "Upgrade @stepwise/sqlite to read it." : "It was not written by @stepwise/sqlite."}`,
      );
    }
  }).immediate();
}
