/**
 * The runtime's SQL: one statement per journal batch, the reads that rebuild a run, and the
 * small transactions that hand a run from one segment (one DBOS workflow) to the next.
 */
import { JournalError } from "@stepwise/core";
import {
  decodePublished,
  decodeTick,
  type JournalEntry,
  type PublishedEntry,
  type RunEndStatus,
  type WorkflowSpec,
} from "@stepwise/core/runtime";
import type { Pool, PoolClient } from "pg";
import { DbosRuntimeError } from "./errors.js";

/** Where a run is: queued for a worker, running on one, waiting (in no process), or ended. */
export type RunStatus = "queued" | "running" | "waiting" | RunEndStatus;

export const ENDED: ReadonlySet<string> = new Set(["completed", "failed", "cancelled", "timedOut"]);

/** A run's row. */
export interface RunRow {
  readonly run_id: string;
  readonly workflow: string;
  readonly status: RunStatus;
  readonly steps: string;
  readonly start: string | null;
  readonly base: string | null;
  readonly segment: number;
  readonly epoch: number;
  readonly executor: string | null;
  readonly ticks: number;
  readonly events: number;
  readonly last_seq: number;
  readonly consumed: string;
  readonly wake_at: number | null;
  readonly ended_at: number | null;
}

/** A message in a run's inbox. */
export interface InboxRow {
  readonly id: string;
  readonly kind: "event" | "cancel";
  readonly step: string | null;
  readonly event: string | null;
}

/** One batch to write: ticks and events as JSON text. */
export interface BatchRows {
  readonly firstTick: number;
  readonly ticks: readonly { at: number; json: string }[];
  readonly events: readonly { seq: number; internal: boolean; json: string }[];
  readonly status: RunStatus;
  readonly lastSeq: number;
  readonly consumed: bigint;
}

const APPEND = `
WITH r AS (
  UPDATE stepwise.runs
     SET ticks = ticks + cardinality($4::float8[]), events = events + cardinality($7::int[]),
         status = $10::text, last_seq = GREATEST(last_seq, $11::int), consumed = GREATEST(consumed, $12::bigint),
         updated_at = $13::float8, ended_at = CASE WHEN $10::text IN ('queued', 'running', 'waiting') THEN NULL ELSE $13::float8 END
   WHERE run_id = $1::text AND epoch = $2::int
  RETURNING run_id
), t AS (
  INSERT INTO stepwise.journal (run_id, n, at, tick)
  SELECT $1::text, $3::int + x.i::int - 1, x.at, x.tick
    FROM unnest($4::float8[], $5::text[]) WITH ORDINALITY AS x(at, tick, i)
   WHERE EXISTS (SELECT 1 FROM r)
), e AS (
  INSERT INTO stepwise.events (run_id, seq, internal, event)
  SELECT $1::text, x.seq, x.internal, x.event
    FROM unnest($7::int[], $8::bool[], $9::text[]) AS x(seq, internal, event)
   WHERE EXISTS (SELECT 1 FROM r)
)
SELECT (SELECT count(*) FROM r)::int AS ok, pg_notify('stepwise_run', $6::text)`;

/** The queries of one runtime, on its pool. */
export class RunStore {
  constructor(readonly pool: Pool) {}

  /**
   * Writes one batch of a run, if this execution (`epoch`) still holds the run.
   * @returns false when another execution has taken the run over.
   */
  async append(runId: string, epoch: number, batch: BatchRows): Promise<boolean> {
    const notice = `${runId}\u0001${batch.lastSeq}\u0001${batch.status}`;
    const result = await this.pool.query<{ ok: number }>(APPEND, [
      runId,
      epoch,
      batch.firstTick,
      batch.ticks.map((t) => t.at),
      batch.ticks.map((t) => t.json),
      notice,
      batch.events.map((e) => e.seq),
      batch.events.map((e) => e.internal),
      batch.events.map((e) => e.json),
      batch.status,
      batch.lastSeq,
      batch.consumed.toString(),
      Date.now(),
    ]);
    return (result.rows[0]?.ok ?? 0) > 0;
  }

  /**
   * Creates a run's row: `running` on `executor` (it starts there at once) or `queued`. A run
   * id of an ended run of the same workflow is taken again: its journal, events and inbox go.
   * @returns the row, or what holds the id instead.
   */
  async createRun(row: {
    runId: string;
    workflow: string;
    steps: string;
    start: string | null;
    base: string | null;
    executor: string | null;
  }): Promise<{ created: RunRow } | { taken: { workflow: string; status: string } }> {
    const status = row.executor === null ? "queued" : "running";
    const epoch = row.executor === null ? 0 : 1;
    return this.transaction(async (client) => {
      const now = Date.now();
      const inserted = await client.query<RunRow>(
        `INSERT INTO stepwise.runs (run_id, workflow, status, steps, start, base, executor, epoch, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (run_id) DO NOTHING RETURNING *`,
        [row.runId, row.workflow, status, row.steps, row.start, row.base, row.executor, epoch, now],
      );
      if (inserted.rows[0]) return { created: inserted.rows[0] };
      const existing = await client.query<{ workflow: string; status: string }>(
        "SELECT workflow, status FROM stepwise.runs WHERE run_id = $1 FOR UPDATE",
        [row.runId],
      );
      const taken = existing.rows[0] ?? { workflow: row.workflow, status: "queued" };
      if (taken.workflow !== row.workflow || !ENDED.has(taken.status)) return { taken };
      for (const table of ["journal", "events", "inbox"]) {
        await client.query(`DELETE FROM stepwise.${table} WHERE run_id = $1`, [row.runId]);
      }
      const reset = await client.query<RunRow>(
        `UPDATE stepwise.runs SET status = $2, steps = $3, start = $4, base = $5, executor = $6,
                epoch = epoch + 1, segment = segment + 1, ticks = 0, events = 0, last_seq = -1,
                consumed = 0, wake_at = NULL, created_at = $7, updated_at = $7, ended_at = NULL
          WHERE run_id = $1 RETURNING *`,
        [row.runId, status, row.steps, row.start, row.base, row.executor, now],
      );
      return { created: reset.rows[0] as RunRow };
    });
  }

  async getRun(runId: string): Promise<RunRow | null> {
    const found = await this.pool.query<RunRow>("SELECT * FROM stepwise.runs WHERE run_id = $1", [
      runId,
    ]);
    return found.rows[0] ?? null;
  }

  /**
   * Claims a run for one execution of segment `segment`: bumps its epoch (writes of any
   * earlier execution are refused from now on). @returns the row, or null when the segment
   * is not the run's current one or the run has ended.
   */
  async claim(runId: string, segment: number, executor: string): Promise<RunRow | null> {
    const claimed = await this.pool.query<RunRow>(
      `UPDATE stepwise.runs SET epoch = epoch + 1, executor = $3, status = 'running', wake_at = NULL, updated_at = $4
        WHERE run_id = $1 AND segment = $2 AND ended_at IS NULL AND status IN ('queued', 'running')
        RETURNING *`,
      [runId, segment, executor, Date.now()],
    );
    return claimed.rows[0] ?? null;
  }

  /** The journal and published events of a run, decoded for `spec`. */
  async readJournal(
    row: RunRow,
    spec: WorkflowSpec,
  ): Promise<{ entries: JournalEntry[]; published: PublishedEntry[] }> {
    const runId = row.run_id;
    const [ticks, events] = await Promise.all([
      this.pool.query<{ n: number; at: number; tick: string }>(
        "SELECT n, at, tick FROM stepwise.journal WHERE run_id = $1 ORDER BY n",
        [runId],
      ),
      this.pool.query<{ seq: number; internal: boolean; event: string }>(
        "SELECT seq, internal, event FROM stepwise.events WHERE run_id = $1 ORDER BY seq",
        [runId],
      ),
    ]);
    if (ticks.rows.length !== row.ticks || events.rows.length !== row.events) {
      throw new JournalError(
        "corrupt",
        `The journal of run \`${runId}\` is truncated: its row counts ${row.ticks} ticks and ${row.events} events, the database holds ${ticks.rows.length} and ${events.rows.length}.`,
        { runId },
      );
    }
    const entries = ticks.rows.map((t, i) => ({
      tick: decodeTick(JSON.parse(t.tick), spec.registry, {
        errors: spec.errors,
        steps: spec.steps,
        workflowName: spec.name,
        runId,
        entry: i,
      }),
      at: t.at,
    }));
    const published = events.rows.map((e) =>
      decodePublished(JSON.parse(e.event), spec.registry, { runId }),
    );
    return { entries, published };
  }

  /** The inbox of a run after message `after`, in order. */
  async inbox(runId: string, after: bigint): Promise<InboxRow[]> {
    const found = await this.pool.query<InboxRow>(
      "SELECT id, kind, step, event FROM stepwise.inbox WHERE run_id = $1 AND id > $2 ORDER BY id",
      [runId, after.toString()],
    );
    return found.rows;
  }

  /** Published events of a run after `after`, in order. */
  async events(
    runId: string,
    after: number,
    limit: number,
  ): Promise<{ seq: number; internal: boolean; event: string }[]> {
    const found = await this.pool.query<{ seq: number; internal: boolean; event: string }>(
      "SELECT seq, internal, event FROM stepwise.events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
      [runId, after, limit],
    );
    return found.rows;
  }

  /** The last published event of a run (its terminal event once it has ended). */
  async lastEvent(runId: string): Promise<string | null> {
    const found = await this.pool.query<{ event: string }>(
      "SELECT event FROM stepwise.events WHERE run_id = $1 ORDER BY seq DESC LIMIT 1",
      [runId],
    );
    return found.rows[0]?.event ?? null;
  }

  /**
   * Puts a message in a run's inbox (once per `key`) and, when the run waits in no process,
   * moves it to its next segment. Both in one transaction with the run's row locked, so a run
   * that is suspending sees the message or the sender sees it suspended.
   * @returns what the sender must start: the next segment, or null.
   */
  async deliver(
    runId: string,
    message: { key: string; kind: "event" | "cancel"; step: string | null; event: string | null },
  ): Promise<{ start: { workflow: string; segment: number } | null; status: string }> {
    return this.transaction(async (client) => {
      const locked = await client.query<{ status: string; workflow: string; segment: number }>(
        "SELECT status, workflow, segment FROM stepwise.runs WHERE run_id = $1 FOR UPDATE",
        [runId],
      );
      const run = locked.rows[0];
      if (!run) {
        throw new DbosRuntimeError("unknownRun", `There is no run \`${runId}\` on this database.`, {
          runId,
        });
      }
      if (ENDED.has(run.status)) {
        throw new DbosRuntimeError(
          "runEnded",
          `Run \`${runId}\` has ended (${run.status}); events can no longer be sent into it.`,
          { runId },
        );
      }
      await client.query(
        `INSERT INTO stepwise.inbox (run_id, key, kind, step, event, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (run_id, key) DO NOTHING`,
        [runId, message.key, message.kind, message.step, message.event, Date.now()],
      );
      await client.query("SELECT pg_notify('stepwise_inbox', $1)", [runId]);
      if (run.status !== "waiting") return { start: null, status: run.status };
      const moved = await client.query<{ segment: number }>(
        `UPDATE stepwise.runs SET status = 'queued', segment = segment + 1, executor = NULL, wake_at = NULL, updated_at = $2
          WHERE run_id = $1 RETURNING segment`,
        [runId, Date.now()],
      );
      return {
        start: { workflow: run.workflow, segment: moved.rows[0]?.segment ?? run.segment + 1 },
        status: "queued",
      };
    });
  }

  /**
   * Ends a segment of a run that waits for an event: unless its inbox holds a message it has
   * not taken, the run waits in no process (until `wakeAt`, if a timer is due). Otherwise the
   * run moves on to its next segment at once.
   * @returns `waiting`, the next segment to start, or null when this execution lost the run.
   */
  async suspend(
    runId: string,
    epoch: number,
    consumed: bigint,
    wakeAt: number | null,
  ): Promise<"waiting" | { segment: number } | null> {
    return this.transaction(async (client) => {
      const locked = await client.query<{ consumed: string }>(
        "SELECT consumed FROM stepwise.runs WHERE run_id = $1 AND epoch = $2 AND ended_at IS NULL FOR UPDATE",
        [runId, epoch],
      );
      if (!locked.rows[0]) return null;
      const pending = await client.query(
        "SELECT 1 FROM stepwise.inbox WHERE run_id = $1 AND id > $2 LIMIT 1",
        [runId, consumed.toString()],
      );
      if (pending.rowCount === 0) {
        await client.query(
          `UPDATE stepwise.runs SET status = 'waiting', executor = NULL, epoch = epoch + 1, wake_at = $2, updated_at = $3
            WHERE run_id = $1`,
          [runId, wakeAt, Date.now()],
        );
        return "waiting";
      }
      const moved = await client.query<{ segment: number }>(
        `UPDATE stepwise.runs SET status = 'queued', segment = segment + 1, executor = NULL, epoch = epoch + 1, updated_at = $2
          WHERE run_id = $1 RETURNING segment`,
        [runId, Date.now()],
      );
      return { segment: moved.rows[0]?.segment as number };
    });
  }

  /**
   * Moves a run to its next segment if it is still where the caller saw it (`segment`,
   * `status`): for runs of a dead worker, runs whose timer is due, and runs handed back.
   * @returns the new segment, or null when someone else moved it first.
   */
  async advance(
    runId: string,
    segment: number,
    statuses: readonly string[],
  ): Promise<number | null> {
    const moved = await this.pool.query<{ segment: number }>(
      `UPDATE stepwise.runs SET status = 'queued', segment = segment + 1, executor = NULL, epoch = epoch + 1, wake_at = NULL, updated_at = $4
        WHERE run_id = $1 AND segment = $2 AND status = ANY($3::text[]) AND ended_at IS NULL RETURNING segment`,
      [runId, segment, statuses, Date.now()],
    );
    return moved.rows[0]?.segment ?? null;
  }

  async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }
}
