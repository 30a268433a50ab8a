/**
 * Deterministic replay: the results of a fan-out finish in a different order in every
 * execution; a run rebuilt from its journal applies them in the order the journal holds, so a
 * recovered run goes on from exactly where the crashed one was.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Context, Event, type Runtime, StartEvent, StopEvent, Workflow } from "@stepwise/core";
import pg from "pg";
import { z } from "zod";
import { DbosRuntime } from "../src/index.ts";
import { freshDatabase, skipPostgres } from "./support/postgres.ts";

class Part extends Event.define({ i: z.number() }) {}
class Done extends Event.define({ i: z.number() }) {}

const NEVER = new Promise<never>(() => {});
const isWorkResult = (row: { tick: string }) =>
  row.tick.includes('"stepResult"') && row.tick.includes('"step":"work"');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Ten parts on ten workers, each finishing after its own delay; parts in `park` never finish. */
function fanFlow(
  runtime: Runtime,
  ran: number[],
  delays: readonly number[],
  park: ReadonlySet<number>,
) {
  return new Workflow({ runtime, name: "Fan", timeout: null })
    .addStep("fan", { accepts: StartEvent, emits: Part }, (_ev, ctx: Context) => {
      for (let i = 0; i < 10; i++) ctx.sendEvent(new Part({ i }));
    })
    .addStep("work", { accepts: Part, emits: Done, numWorkers: 10 }, async (ev) => {
      ran[ev.i] = (ran[ev.i] ?? 0) + 1;
      await sleep(delays[ev.i] ?? 0);
      if (park.has(ev.i)) await NEVER;
      return new Done({ i: ev.i });
    })
    .addStep("join", { accepts: Done, emits: StopEvent }, (ev, ctx: Context) => {
      const all = ctx.collectEvents(
        ev,
        Array.from({ length: 10 }, () => Done),
      );
      return all ? new StopEvent({ result: all.map((done) => (done as Done).i) }) : undefined;
    });
}

describe("@stepwise/dbos: deterministic replay", { skip: skipPostgres }, () => {
  let url = "";
  let drop = async () => {};
  let admin: pg.Pool;
  before(async () => {
    ({ url, drop } = await freshDatabase());
    admin = new pg.Pool({ connectionString: url });
  });
  after(async () => {
    await admin.end();
    await drop();
  });

  it("applies a fan-out's results in journaled order after a crash, whatever order they finish in", async (t) => {
    const first = new DbosRuntime({
      databaseUrl: url,
      executorId: "replay",
      idleTimeoutMs: 60_000,
    });
    const ranBefore: number[] = [];
    // Finishing order 9, 7, 5, ... (the reverse of the start order); parts 0 and 1 never finish.
    const slow = [90, 80, 70, 60, 50, 40, 30, 20, 10, 1];
    const wf = fanFlow(first, ranBefore, slow, new Set([0, 1]));
    await first.launch([wf]);
    const crashed = wf.run({}, { runId: "fan-1" });
    let journaled: { n: number; tick: string }[] = [];
    for (let i = 0; i < 3000; i++) {
      await sleep(10);
      const rows = await admin.query<{ n: number; tick: string }>(
        "SELECT n, tick FROM stepwise.journal WHERE run_id = 'fan-1' ORDER BY n",
      );
      journaled = rows.rows;
      if (journaled.filter(isWorkResult).length >= 8) break;
    }
    assert.equal(
      journaled.filter(isWorkResult).length,
      8,
      "eight parts are journaled before the crash",
    );
    const log = await admin.query<{ seq: number; event: string }>(
      "SELECT seq, event FROM stepwise.events WHERE run_id = 'fan-1' ORDER BY seq",
    );
    first.crash();
    void crashed;

    const second = new DbosRuntime({
      databaseUrl: url,
      executorId: "replay",
      idleTimeoutMs: 60_000,
    });
    t.after(() => second.shutdown());
    const ranAfter: number[] = [];
    // This time they finish in start order.
    const fast = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const [handler] = await second.recover([fanFlow(second, ranAfter, fast, new Set())]);
    assert.ok(handler);
    const result = (await handler) as number[];
    assert.deepEqual(
      [...result].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.deepEqual(
      ranAfter.map((count, i) => (count ? i : -1)).filter((i) => i >= 0),
      [0, 1],
      "only the parts whose result was never journaled run again",
    );
    const rows = await admin.query<{ n: number; tick: string }>(
      "SELECT n, tick FROM stepwise.journal WHERE run_id = 'fan-1' ORDER BY n",
    );
    assert.deepEqual(
      rows.rows.slice(0, journaled.length),
      journaled,
      "the recovered run's journal goes on from the crashed one's, unchanged",
    );
    const after = await admin.query<{ seq: number; event: string }>(
      "SELECT seq, event FROM stepwise.events WHERE run_id = 'fan-1' ORDER BY seq",
    );
    assert.deepEqual(after.rows.slice(0, log.rows.length), log.rows);
    assert.deepEqual(
      after.rows.map((row) => row.seq),
      after.rows.map((_, i) => i),
    );
    // The results the crashed run had applied come first in the collected order, as it saw them.
    const appliedBefore = journaled.filter(
      (row) => row.tick.includes('"stepResult"') && row.tick.includes('"work"'),
    ).length;
    assert.equal(appliedBefore, 8);
    assert.deepEqual(result.slice(0, 8), [9, 8, 7, 6, 5, 4, 3, 2]);
  });
});
