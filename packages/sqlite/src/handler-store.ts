/**
 * `SqliteHandlerStore`: the records a workflow server keeps of its handlers (`@stepwise/server`'s
 * `HandlerStore`), in the runtime's journal file beside the runs they name, and the events of a
 * handler's run read back from the journal. The server and the runtime then survive a restart
 * together: every handler is still listed, ended runs keep their result and their stream.
 */
import type { Workflow } from "@stepwise/core";
import {
  decodePublished,
  type HandlerRow,
  type HandlerRowQuery,
  type PublishedEntry,
  workflowSpec,
} from "@stepwise/core/runtime";
import type Database from "better-sqlite3";
import { fileError } from "./database.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS stepwise_handlers (
  id INTEGER PRIMARY KEY,
  handler_id TEXT NOT NULL UNIQUE,
  workflow_name TEXT NOT NULL,
  run_id TEXT NOT NULL,
  status TEXT NOT NULL,
  record TEXT NOT NULL
);
`;

/** The store's statements, prepared once: a server puts a record at least twice per run. */
interface Statements {
  readonly put: Database.Statement<[string, string, string, string, string]>;
  readonly get: Database.Statement<[string]>;
  readonly delete: Database.Statement<[string]>;
  readonly latestRun: Database.Statement<[string]>;
  readonly events: Database.Statement<[number]>;
}

function prepareStatements(db: Database.Database): Statements {
  return {
    put: db.prepare(
      `INSERT INTO stepwise_handlers (handler_id, workflow_name, run_id, status, record) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (handler_id) DO UPDATE SET workflow_name = excluded.workflow_name,
         run_id = excluded.run_id, status = excluded.status, record = excluded.record`,
    ),
    get: db.prepare("SELECT record FROM stepwise_handlers WHERE handler_id = ?").pluck(),
    delete: db.prepare("DELETE FROM stepwise_handlers WHERE handler_id = ?"),
    latestRun: db
      .prepare("SELECT id FROM stepwise_runs WHERE run_id = ? ORDER BY id DESC LIMIT 1")
      .pluck(),
    events: db.prepare("SELECT event FROM stepwise_events WHERE run = ? ORDER BY seq").pluck(),
  };
}

/**
 * Handler records in a {@link SqliteRuntime}'s file (`runtime.handlerStore()`), in the order
 * they were first put. Pass it to `createServer({ runtime, store })` of `@stepwise/server`.
 */
export class SqliteHandlerStore<R extends HandlerRow = HandlerRow> {
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #isOpen: () => void;
  readonly #sql: Statements;

  /** @internal made by `SqliteRuntime.handlerStore()`. */
  constructor(db: Database.Database, path: string, checkOpen: () => void) {
    this.#db = db;
    this.#path = path;
    this.#isOpen = checkOpen;
    this.#sql = this.#guard("creating its handlers table", () => {
      db.exec(SCHEMA);
      return prepareStatements(db);
    });
  }

  /** Inserts or replaces the record with this `handlerId` (keeping its place in the order). */
  put(record: R): void {
    this.#guard(`storing handler \`${record.handlerId}\``, () => {
      this.#sql.put.run(
        record.handlerId,
        record.workflowName,
        record.runId,
        record.status,
        JSON.stringify(record),
      );
    });
  }

  get(handlerId: string): R | undefined {
    return this.#guard(`reading handler \`${handlerId}\``, () => {
      const json = this.#sql.get.get(handlerId) as string | undefined;
      return json === undefined ? undefined : (JSON.parse(json) as R);
    });
  }

  /** The records that match, in the order they were first put. */
  list(query: HandlerRowQuery = {}): R[] {
    const where: string[] = [];
    const params: string[] = [];
    for (const [column, values] of [
      ["status", query.status],
      ["workflow_name", query.workflowName],
    ] as const) {
      if (values === undefined) continue;
      where.push(`${column} IN (${values.map(() => "?").join(", ")})`);
      params.push(...values);
      if (values.length === 0) return [];
    }
    const sql = `SELECT record FROM stepwise_handlers${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id`;
    return this.#guard("listing handlers", () =>
      (
        this.#db
          .prepare(sql)
          .pluck()
          .all(...params) as string[]
      ).map((json) => JSON.parse(json) as R),
    );
  }

  /** Removes a record; returns whether there was one. */
  delete(handlerId: string): boolean {
    return this.#guard(
      `deleting handler \`${handlerId}\``,
      () => this.#sql.delete.run(handlerId).changes > 0,
    );
  }

  /**
   * What the record's run published, from the journal (its latest run with that id), decoded
   * with the workflow's events; null when the journal has no such run or no workflow is given.
   */
  events(record: R, workflow?: Workflow): PublishedEntry[] | null {
    if (!workflow) return null;
    const registry = workflowSpec(workflow).registry;
    return this.#guard(`reading the events of run \`${record.runId}\``, () => {
      const key = this.#sql.latestRun.get(record.runId) as number | undefined;
      if (key === undefined) return null;
      const rows = this.#sql.events.all(key) as string[];
      return rows.map((json) =>
        decodePublished(JSON.parse(json), registry, { runId: record.runId }),
      );
    });
  }

  #guard<T>(doing: string, body: () => T): T {
    this.#isOpen();
    try {
      return body();
    } catch (error) {
      throw fileError(error, this.#path, doing);
    }
  }
}
