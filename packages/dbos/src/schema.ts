/**
 * The tables `@stepwise/dbos` keeps beside DBOS's own (schema `stepwise`, in the same
 * database): a row per run, its journal (ticks, in order), the events it published (numbered),
 * its inbox (events and cancels sent from any process) and the live workers.
 */
import type { Pool } from "pg";
import { DbosRuntimeError } from "./errors.js";
import { HANDLERS_DDL } from "./handler-store.js";

/** The version of the tables this code reads and writes. */
export const SCHEMA_VERSION = 1;

const DDL = `
CREATE SCHEMA IF NOT EXISTS stepwise;
CREATE TABLE IF NOT EXISTS stepwise.meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS stepwise.runs (
  run_id text PRIMARY KEY,
  workflow text NOT NULL,
  status text NOT NULL,
  steps text NOT NULL,
  start text,
  base text,
  segment integer NOT NULL DEFAULT 0,
  epoch integer NOT NULL DEFAULT 0,
  executor text,
  ticks integer NOT NULL DEFAULT 0,
  events integer NOT NULL DEFAULT 0,
  last_seq integer NOT NULL DEFAULT -1,
  consumed bigint NOT NULL DEFAULT 0,
  wake_at double precision,
  created_at double precision NOT NULL,
  updated_at double precision NOT NULL,
  ended_at double precision
);
CREATE INDEX IF NOT EXISTS runs_unfinished ON stepwise.runs (status, executor) WHERE ended_at IS NULL;
CREATE TABLE IF NOT EXISTS stepwise.journal (
  run_id text NOT NULL, n integer NOT NULL, at double precision NOT NULL, tick text NOT NULL,
  PRIMARY KEY (run_id, n)
);
CREATE TABLE IF NOT EXISTS stepwise.events (
  run_id text NOT NULL, seq integer NOT NULL, internal boolean NOT NULL, event text NOT NULL,
  PRIMARY KEY (run_id, seq)
);
CREATE TABLE IF NOT EXISTS stepwise.inbox (
  id bigserial PRIMARY KEY,
  run_id text NOT NULL,
  key text NOT NULL,
  kind text NOT NULL,
  step text,
  event text,
  created_at double precision NOT NULL,
  UNIQUE (run_id, key)
);
CREATE TABLE IF NOT EXISTS stepwise.workers (
  executor text PRIMARY KEY,
  instance text NOT NULL,
  workflows text NOT NULL,
  heartbeat_at double precision NOT NULL,
  started_at double precision NOT NULL
);
`;

/** Creates the tables when missing (one process at a time) and checks their version. */
export async function ensureSchema(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext('stepwise.schema'))");
    await client.query(DDL);
    await client.query(HANDLERS_DDL);
    const found = await client.query<{ value: string }>(
      "SELECT value FROM stepwise.meta WHERE key = 'version'",
    );
    const version = found.rows[0] ? Number(found.rows[0].value) : null;
    if (version === null) {
      await client.query("INSERT INTO stepwise.meta (key, value) VALUES ('version', $1)", [
        String(SCHEMA_VERSION),
      ]);
    } else if (version > SCHEMA_VERSION) {
      throw new DbosRuntimeError(
        "unsupportedVersion",
        `The stepwise tables on this database are of version ${version}; this @stepwise/dbos reads version ${SCHEMA_VERSION}. Upgrade @stepwise/dbos.`,
      );
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
