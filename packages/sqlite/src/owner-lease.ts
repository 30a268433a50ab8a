/**
 * Who may write an owner's runs: one live runtime at a time. A runtime claims its owner's lease
 * row when it opens the file and renews it in every batch's transaction and on a timer; a batch
 * whose runtime lost the lease is refused, so two processes never write the same runs. A lease is
 * free when its holder is gone: a process on this host that no longer exists (a `kill -9` frees
 * it at once), a runtime of this process that was closed, or a heartbeat older than the lease.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { JournalError } from "@stepwise/core";
import type Database from "better-sqlite3";
import { fileError } from "./database.js";

/** Tokens of the leases runtimes of this process hold. */
const heldHere = new Set<string>();

interface LeaseRow {
  token: string;
  pid: number;
  host: string;
  heartbeat_at: number;
}

/** One owner's lease on one file, held by one runtime. */
export class OwnerLease {
  readonly owner: string;
  readonly token = randomUUID();
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #leaseMs: number;
  readonly #renew: Database.Statement<[number, string, string]>;
  readonly #holds: Database.Statement<[string, string]>;
  /** When this runtime last wrote its heartbeat (`Date.now()`). */
  #renewedAt = 0;
  #timer: NodeJS.Timeout | null = null;
  #lost = false;

  /** @throws {@link JournalError} (`locked`) when a live runtime holds the owner's lease. */
  constructor(db: Database.Database, path: string, owner: string, leaseMs: number) {
    this.#db = db;
    this.#path = path;
    this.owner = owner;
    this.#leaseMs = leaseMs;
    this.#renew = db.prepare(
      "UPDATE stepwise_owners SET heartbeat_at = ? WHERE owner = ? AND token = ?",
    );
    this.#holds = db
      .prepare("SELECT 1 FROM stepwise_owners WHERE owner = ? AND token = ?")
      .pluck() as never;
    try {
      db.transaction(() => this.#claim()).immediate();
    } catch (error) {
      throw fileError(error, path, "claiming its owner");
    }
    heldHere.add(this.token);
    this.#timer = setInterval(() => this.#heartbeat(), Math.max(10, leaseMs / 3));
    this.#timer.unref();
  }

  #claim(): void {
    const row = this.#db
      .prepare("SELECT token, pid, host, heartbeat_at FROM stepwise_owners WHERE owner = ?")
      .get(this.owner) as LeaseRow | undefined;
    if (row && !this.#isFree(row)) {
      const where =
        row.host === hostname() ? `process ${row.pid}` : `process ${row.pid} on ${row.host}`;
      throw new JournalError(
        "locked",
        `Owner \`${this.owner}\` of journal \`${this.#path}\` is held by ${where}, which is still running. Stop it (its runs are recovered here once it is gone), close its runtime, or give this runtime another \`owner\`.`,
      );
    }
    this.#db
      .prepare(
        "INSERT OR REPLACE INTO stepwise_owners (owner, token, pid, host, heartbeat_at) VALUES (?, ?, ?, ?, ?)",
      )
      .run(this.owner, this.token, process.pid, hostname(), (this.#renewedAt = Date.now()));
  }

  #isFree(row: LeaseRow): boolean {
    if (heldHere.has(row.token)) return false;
    const stale = Date.now() - row.heartbeat_at > this.#leaseMs;
    if (row.host !== hostname()) return stale;
    // This process's pid with a token it does not hold: a closed runtime, or an earlier process.
    if (row.pid === process.pid) return true;
    return !isAlive(row.pid) || stale;
  }

  /**
   * Checks the lease inside the caller's (write) transaction, and renews it there when a tenth
   * of the lease has passed since the last renewal. Most batches then only read the lease row:
   * a batch writes one page fewer, and the heartbeat stays far younger than `leaseMs` even when
   * batches leave the timer no turn.
   * @throws {@link JournalError} (`locked`) when another runtime has taken it over.
   */
  renew(): void {
    if (!this.#lost) {
      const now = Date.now();
      if (now - this.#renewedAt < this.#leaseMs / 10) {
        if (this.#holds.get(this.owner, this.token) !== undefined) return;
      } else if (this.#renew.run(now, this.owner, this.token).changes === 1) {
        this.#renewedAt = now;
        return;
      }
    }
    this.#lost = true;
    throw new JournalError(
      "locked",
      `Owner \`${this.owner}\` of journal \`${this.#path}\` was taken over by another runtime (this one missed its heartbeats for more than ${this.#leaseMs} ms); this runtime's runs continue there.`,
    );
  }

  #heartbeat(): void {
    if (this.#lost || !this.#db.open) return;
    try {
      const now = Date.now();
      if (this.#renew.run(now, this.owner, this.token).changes === 0) this.#lost = true;
      else this.#renewedAt = now;
    } catch {
      // A busy file: the next heartbeat or batch renews the lease (a batch fails loudly if it cannot).
    }
  }

  /** Gives the lease up: another runtime may take the owner at once. */
  release(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    heldHere.delete(this.token);
    if (this.#lost || !this.#db.open) return;
    this.#db
      .prepare("DELETE FROM stepwise_owners WHERE owner = ? AND token = ?")
      .run(this.owner, this.token);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
