/**
 * `PgHandlerStore`: the records a workflow server keeps of its handlers (`@stepwise/server`'s
 * `HandlerStore`), on the runtime's database beside the runs they name; the events of a
 * handler's run are read back from the run's numbered events. Every server process on the
 * database then lists the same handlers, and serves the stream of a run started by another.
 */
import type { Workflow } from "@stepwise/core";
import {
  decodePublished,
  type HandlerRow,
  type HandlerRowQuery,
  type PublishedEntry,
  workflowSpec,
} from "@stepwise/core/runtime";
import type { RunStore } from "./store.js";

export const HANDLERS_DDL = `
CREATE TABLE IF NOT EXISTS stepwise.handlers (
  id bigserial PRIMARY KEY,
  handler_id text NOT NULL UNIQUE,
  workflow_name text NOT NULL,
  run_id text NOT NULL,
  status text NOT NULL,
  record text NOT NULL
);`;

/**
 * Handler records on a {@link DbosRuntime}'s database (`runtime.handlerStore()`), in the order
 * they were first put. Pass it to `createServer({ runtime, store })` of `@stepwise/server`.
 */
export class PgHandlerStore<R extends HandlerRow = HandlerRow> {
  readonly #store: () => Promise<RunStore>;

  /** @internal made by `DbosRuntime.handlerStore()`. */
  constructor(store: () => Promise<RunStore>) {
    this.#store = store;
  }

  /** Inserts or replaces the record with this `handlerId` (keeping its place in the order). */
  async put(record: R): Promise<void> {
    const store = await this.#store();
    await store.pool.query(
      `INSERT INTO stepwise.handlers (handler_id, workflow_name, run_id, status, record) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (handler_id) DO UPDATE SET workflow_name = EXCLUDED.workflow_name,
         run_id = EXCLUDED.run_id, status = EXCLUDED.status, record = EXCLUDED.record`,
      [record.handlerId, record.workflowName, record.runId, record.status, JSON.stringify(record)],
    );
  }

  async get(handlerId: string): Promise<R | undefined> {
    const store = await this.#store();
    const found = await store.pool.query<{ record: string }>(
      "SELECT record FROM stepwise.handlers WHERE handler_id = $1",
      [handlerId],
    );
    const json = found.rows[0]?.record;
    return json === undefined ? undefined : (JSON.parse(json) as R);
  }

  /** The records that match, in the order they were first put. */
  async list(query: HandlerRowQuery = {}): Promise<R[]> {
    if (query.status?.length === 0 || query.workflowName?.length === 0) return [];
    const store = await this.#store();
    const found = await store.pool.query<{ record: string }>(
      `SELECT record FROM stepwise.handlers
        WHERE ($1::text[] IS NULL OR status = ANY($1::text[]))
          AND ($2::text[] IS NULL OR workflow_name = ANY($2::text[]))
        ORDER BY id`,
      [query.status ?? null, query.workflowName ?? null],
    );
    return found.rows.map((row) => JSON.parse(row.record) as R);
  }

  /** Removes a record; resolves to whether there was one. */
  async delete(handlerId: string): Promise<boolean> {
    const store = await this.#store();
    const deleted = await store.pool.query("DELETE FROM stepwise.handlers WHERE handler_id = $1", [
      handlerId,
    ]);
    return (deleted.rowCount ?? 0) > 0;
  }

  /**
   * What the record's run published, decoded with the workflow's events; null when there is
   * no such run or no workflow is given.
   */
  async events(record: R, workflow?: Workflow): Promise<PublishedEntry[] | null> {
    if (!workflow) return null;
    const registry = workflowSpec(workflow).registry;
    const store = await this.#store();
    if (!(await store.getRun(record.runId))) return null;
    const rows = await store.events(record.runId, -1, 1_000_000);
    return rows.map((row) =>
      decodePublished(JSON.parse(row.event), registry, { runId: record.runId }),
    );
  }
}
