/**
 * The journal file under bad conditions: held by another runtime or process, damaged, truncated,
 * of another program or a newer format, edited, or read by a workflow that changed. Each is a
 * `JournalError` with a code, and nothing of a refused run starts.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  type Context,
  Event,
  JournalError,
  StartEvent,
  StopEvent,
  Workflow,
  WorkflowRuntimeError,
} from "@stepwise/core";
import { SqliteRuntime } from "@stepwise/sqlite";
import Database from "better-sqlite3";
import { z } from "zod";

const dir = mkdtempSync(join(tmpdir(), "stepwise-sqlite-file-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = () => join(dir, `journal-${++files}.db`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const NEVER = new Promise<never>(() => {});

class Hop extends Event.define({ n: z.number() }) {}

/** A chain of hops; in a runtime made to crash it parks at hop 2. `step` renames the hop step. */
function chain(
  runtime: SqliteRuntime,
  parks: boolean,
  options: { step?: string; hop?: typeof Hop } = {},
) {
  const HopClass = options.hop ?? Hop;
  return new Workflow({ runtime, name: "Chain", timeout: null })
    .addStep("start", { accepts: StartEvent, emits: HopClass }, () => new HopClass({ n: 0 }))
    .addStep(
      options.step ?? "hop",
      { accepts: HopClass, emits: [HopClass, StopEvent] },
      async (ev: Hop, _ctx: Context) => {
        if (parks && ev.n === 2) await NEVER;
        return ev.n < 4 ? new HopClass({ n: ev.n + 1 }) : new StopEvent({ result: ev.n });
      },
    );
}

/** A journal holding one unfinished run (`run-1`), its runtime gone as after a crash. */
async function crashedJournal(): Promise<string> {
  const path = newFile();
  const runtime = new SqliteRuntime({ path });
  chain(runtime, true).run({}, { runId: "run-1" });
  await sleep(20);
  runtime.close();
  return path;
}

function edit(path: string, sql: string): void {
  const db = new Database(path);
  db.exec(sql);
  db.close();
}

/** Checks that recovering `path` fails with `code`, and that no run starts. */
async function refusesRecovery(
  path: string,
  code: string,
  workflow = chain,
): Promise<JournalError> {
  const runtime = new SqliteRuntime({ path });
  try {
    const error = await runtime.recover([workflow(runtime, false)]).then(
      () => assert.fail("recover() did not throw"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof JournalError, `a JournalError, not ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.deepEqual(runtime.listRuns(), [], "no run starts");
    return error;
  } finally {
    runtime.close();
  }
}

function journalError(fn: () => unknown, code: string): JournalError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof JournalError, `a JournalError, not ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail("it did not throw");
}

describe("SqliteRuntime: who holds the file", () => {
  it("refuses an owner another live runtime holds, with code locked", () => {
    const path = newFile();
    const first = new SqliteRuntime({ path });
    journalError(() => new SqliteRuntime({ path }), "locked");
    first.close();
    new SqliteRuntime({ path }).close();
  });

  it("lets runtimes of different owners share one file", async () => {
    const path = newFile();
    const a = new SqliteRuntime({ path, owner: "a" });
    const b = new SqliteRuntime({ path, owner: "b" });
    assert.equal(await chain(a, false).run(), 4);
    assert.equal(await chain(b, false).run(), 4);
    a.close();
    b.close();
  });

  it("says locked when another process holds a write transaction past busyTimeout", () => {
    const path = newFile();
    new SqliteRuntime({ path }).close();
    const other = new Database(path);
    other.exec("BEGIN IMMEDIATE");
    try {
      journalError(() => new SqliteRuntime({ path, busyTimeout: 50 }), "locked");
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
  });

  it("refuses every batch once another runtime has taken its owner over, with code locked", async () => {
    const path = newFile();
    const runtime = new SqliteRuntime({ path });
    const wf = chain(runtime, false);
    assert.equal(await wf.run(), 4);
    // What a runtime that found this one's heartbeat stale does: a lease row of its own.
    edit(path, "UPDATE stepwise_owners SET token = 'taken-over', heartbeat_at = 0");
    await assert.rejects(wf.run(), (error: unknown) => {
      const cause = (error as { cause?: unknown }).cause;
      return cause instanceof JournalError && cause.code === "locked";
    });
    runtime.close();
    const db = new Database(path, { readonly: true });
    assert.equal(db.prepare("SELECT COUNT(*) FROM stepwise_runs").pluck().get(), 1);
    assert.equal(db.prepare("SELECT token FROM stepwise_owners").pluck().get(), "taken-over");
    db.close();
  });

  it("recovers only the runs of its own owner", async () => {
    const path = await crashedJournal();
    const stranger = new SqliteRuntime({ path, owner: "someone-else" });
    assert.deepEqual(await stranger.recover([chain(stranger, false)]), []);
    stranger.close();
  });
});

describe("SqliteRuntime: bad files", () => {
  it("refuses a file that is not a SQLite database, with code corrupt", () => {
    const path = newFile();
    writeFileSync(
      path,
      "this is not a database, just some text that goes on for a while.\n".repeat(40),
    );
    journalError(() => new SqliteRuntime({ path }), "corrupt");
  });

  it("refuses a truncated journal, with code corrupt", async () => {
    const path = await crashedJournal();
    // A long run makes the file several pages long; cut it in the middle.
    const runtime = new SqliteRuntime({ path });
    for (let i = 0; i < 20; i++) await chain(runtime, false).run();
    runtime.close();
    truncateSync(path, Math.floor(statSync(path).size / 2));
    try {
      const reopened = new SqliteRuntime({ path });
      await refusesRecovery(path, "corrupt").finally(() => reopened.close());
    } catch (error) {
      assert.ok(error instanceof JournalError && error.code === "corrupt", String(error));
    }
  });

  it("refuses the database of another program, with code notAJournal", () => {
    const path = newFile();
    edit(path, "CREATE TABLE users (id INTEGER PRIMARY KEY)");
    journalError(() => new SqliteRuntime({ path }), "notAJournal");
  });

  it("refuses a journal of a newer format, with code unsupportedVersion, and leaves it as it was", () => {
    const path = newFile();
    new SqliteRuntime({ path }).close();
    edit(path, "UPDATE stepwise_meta SET value = '2' WHERE key = 'version'");
    journalError(() => new SqliteRuntime({ path }), "unsupportedVersion");
    const db = new Database(path);
    assert.equal(
      db.prepare("SELECT value FROM stepwise_meta WHERE key = 'version'").pluck().get(),
      "2",
    );
    db.close();
  });
});

describe("SqliteRuntime: bad journals of runs", () => {
  it("refuses a tick that is not JSON, naming the run", async () => {
    const path = await crashedJournal();
    edit(path, 'UPDATE stepwise_ticks SET tick = \'{"type": "stepRes\' WHERE n = 1');
    const error = await refusesRecovery(path, "corrupt");
    assert.equal(error.runId, "run-1");
  });

  it("refuses a journal with a tick missing", async () => {
    const path = await crashedJournal();
    edit(path, "DELETE FROM stepwise_ticks WHERE n = 1");
    await refusesRecovery(path, "corrupt");
  });

  it("refuses a journal whose last ticks are gone", async () => {
    const path = await crashedJournal();
    edit(path, "DELETE FROM stepwise_ticks WHERE n = (SELECT MAX(n) FROM stepwise_ticks)");
    await refusesRecovery(path, "corrupt");
  });

  it("refuses a tick of the wrong shape, naming the field", async () => {
    const path = await crashedJournal();
    edit(path, "UPDATE stepwise_ticks SET tick = json_remove(tick, '$.workerId') WHERE n = 1");
    const error = await refusesRecovery(path, "malformed");
    assert.equal(error.entry, 1);
    assert.equal(error.path, "workerId");
  });

  it("refuses a run whose steps no longer exist, naming the step", async () => {
    const path = await crashedJournal();
    const error = await refusesRecovery(path, "stepsDiffer", (runtime, parks) =>
      chain(runtime, parks, { step: "jump" }),
    );
    assert.equal(error.step, "hop");
  });

  it("refuses a run holding events the workflow no longer has", async () => {
    const path = await crashedJournal();
    class Leap extends Event.define({ n: z.number() }) {}
    await refusesRecovery(path, "unknownEventType", (runtime, parks) =>
      chain(runtime, parks, { hop: Leap }),
    );
  });

  it("starts none of the runs when one of them is refused, and recovers the rest once it is abandoned", async () => {
    const path = newFile();
    const first = new SqliteRuntime({ path });
    chain(first, true).run({}, { runId: "good" });
    chain(first, true).run({}, { runId: "bad" });
    await sleep(20);
    first.close();
    edit(
      path,
      "UPDATE stepwise_ticks SET tick = 'not json' WHERE n = 1 AND run = (SELECT id FROM stepwise_runs WHERE run_id = 'bad')",
    );
    await refusesRecovery(path, "corrupt");
    const second = new SqliteRuntime({ path });
    assert.equal(second.abandonRun("bad"), true);
    const handlers = await second.recover([chain(second, false)]);
    assert.deepEqual(
      handlers.map((h) => h.runId),
      ["good"],
    );
    assert.equal(await handlers[0], 4);
    second.close();
  });
});

describe("SqliteRuntime: what it refuses to write", () => {
  it("fails a run whose event cannot be journaled, and leaves the journal readable", async () => {
    class Holder extends Event.define({ fn: z.any() }) {}
    const path = newFile();
    const runtime = new SqliteRuntime({ path });
    const wf = new Workflow({ runtime, name: "Holding" })
      .addStep("start", { accepts: StartEvent, emits: Holder }, () => new Holder({ fn: () => 1 }))
      .addStep("stop", { accepts: Holder, emits: StopEvent }, () => new StopEvent());
    await assert.rejects(wf.run(), (error: unknown) => {
      const cause = (error as { cause?: unknown }).cause;
      return cause instanceof JournalError && cause.code === "unserializable";
    });
    runtime.close();
    const again = new SqliteRuntime({ path });
    assert.deepEqual(await again.recover([wf]), []);
    again.close();
  });

  it("refuses unknown options, naming them", () => {
    assert.throws(
      () => new SqliteRuntime({ path: newFile(), ownr: "x" } as never),
      (error: unknown) =>
        error instanceof WorkflowRuntimeError && error.code === "invalidRuntimeOptions",
    );
  });
});
