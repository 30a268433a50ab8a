/**
 * One connection per process that listens for the runtime's notifications (a run's batch was
 * written, a message reached a run's inbox) and holds this worker's executor lock: a session
 * advisory lock, so other workers see at once that a worker whose process died is gone.
 */
import pg from "pg";

/** What a batch notification says. */
export interface RunNotice {
  readonly runId: string;
  readonly lastSeq: number;
  readonly status: string;
}

type Listener<T> = (notice: T) => void;

/** The advisory lock class of executor locks (the other half of the key is the id's hash). */
export const EXECUTOR_LOCK_CLASS = 0x5e7a;

export class Notifier {
  readonly #client: pg.Client;
  readonly #run = new Map<string, Set<Listener<RunNotice>>>();
  readonly #inbox = new Map<string, Set<Listener<string>>>();
  #closed = false;

  private constructor(client: pg.Client) {
    this.#client = client;
    client.on("notification", (message) => {
      const payload = message.payload ?? "";
      if (message.channel === "stepwise_inbox") {
        for (const listener of this.#inbox.get(payload) ?? []) listener(payload);
        return;
      }
      const [runId = "", seq = "-1", status = ""] = payload.split("\u0001");
      const notice = { runId, lastSeq: Number(seq), status };
      for (const listener of this.#run.get(runId) ?? []) listener(notice);
    });
    // A lost connection is reported by the next query of the runtime; here it must not crash.
    client.on("error", () => {});
  }

  /** Connects and listens. */
  static async connect(url: string): Promise<Notifier> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("LISTEN stepwise_run");
    await client.query("LISTEN stepwise_inbox");
    return new Notifier(client);
  }

  /** Takes the executor lock of `executor`; false when another live session holds it. */
  async lockExecutor(executor: string): Promise<boolean> {
    const locked = await this.#client.query<{ ok: boolean }>(
      "SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok",
      [EXECUTOR_LOCK_CLASS, executor],
    );
    return locked.rows[0]?.ok === true;
  }

  /** Calls `listener` for every batch notification of `runId`; returns how to stop. */
  onRun(runId: string, listener: Listener<RunNotice>): () => void {
    return add(this.#run, runId, listener);
  }

  /** Calls `listener` when a message reaches `runId`'s inbox; returns how to stop. */
  onInbox(runId: string, listener: Listener<string>): () => void {
    return add(this.#inbox, runId, listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.end().catch(() => {});
  }
}

function add<T>(map: Map<string, Set<Listener<T>>>, key: string, listener: Listener<T>) {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(listener);
  return () => {
    set.delete(listener);
    if (set.size === 0 && map.get(key) === set) map.delete(key);
  };
}
