/**
 * Killing the process with SIGKILL at 50 seeded random points of a ten-step run (a fan-out, a
 * retry) and recovering it from its journal in a new process: each time the result is the
 * in-memory one, no invocation whose result was journaled runs again, and the run's log read
 * from sequence -1 has every sequence number once. Also: a run waiting for a human survives
 * the kill and completes once answered.
 *
 * Children run in chains: each child recovers the run the previous one left, then starts a new
 * run and is killed during it, so a point costs one process start.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { InMemoryRuntime } from "@stepwise/core";
import Database from "better-sqlite3";
import { crashFlow } from "./fixtures/crash-flow.ts";

const CHILD = new URL("./fixtures/crash-child.ts", import.meta.url).pathname;
const POINTS = 50;
const CHAINS = 2;

const dir = mkdtempSync(join(tmpdir(), "stepwise-sqlite-crash-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A seeded random number generator (mulberry32): the kill points are the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A child process and the JSON lines it prints, as they come. */
class Child {
  readonly lines: unknown[] = [];
  readonly exited: Promise<number | null>;
  readonly #process: ChildProcess;
  #stderr = "";
  #wakers: (() => void)[] = [];

  constructor(args: string[]) {
    this.#process = spawn(
      process.execPath,
      ["--conditions=@stepwise/source", "--import", "tsx", CHILD, ...args],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let buffer = "";
    this.#process.stdout?.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        this.lines.push(JSON.parse(buffer.slice(0, newline)));
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf("\n");
      }
      for (const wake of this.#wakers.splice(0)) wake();
    });
    this.#process.stderr?.on("data", (chunk: Buffer) => {
      this.#stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => this.#process.on("exit", (code) => resolve(code)));
    void this.exited.then(() => {
      for (const wake of this.#wakers.splice(0)) wake();
    });
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Waits until the child has printed `line` (or a line `test` accepts); throws if it exits first. */
  async waitFor(test: (line: unknown) => boolean): Promise<unknown> {
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });
    for (;;) {
      const found = this.lines.find(test);
      if (found !== undefined) return found;
      if (exited) throw new Error(`the child exited without printing it:\n${this.#stderr}`);
      await new Promise<void>((resolve) => this.#wakers.push(resolve));
    }
  }

  kill(): void {
    this.#process.kill("SIGKILL");
  }
}

/** The marks of every invocation whose result (an event, or a failure) the journal holds. */
function journaledMarks(path: string): Set<string> {
  const db = new Database(path);
  try {
    const marks = new Set<string>();
    const rows = db.prepare("SELECT tick FROM stepwise_ticks").pluck().all() as string[];
    for (const text of rows) {
      const tick = JSON.parse(text);
      if (tick.type !== "stepResult") continue;
      const outcome = tick.outcome;
      const events = outcome.kind === "event" ? [outcome.event] : (outcome.events ?? []);
      for (const record of events) marks.add(record.value.data.by);
      if (outcome.kind === "failed") {
        const mark = /\[(.+)\]/.exec(outcome.error.message)?.[1];
        if (mark) marks.add(mark);
      }
    }
    return marks;
  } finally {
    db.close();
  }
}

/** The status of the run in a journal, or null when it holds none. */
function runStatus(path: string): string | null {
  const db = new Database(path);
  try {
    const row = db.prepare("SELECT status FROM stepwise_runs").get() as
      | { status: string }
      | undefined;
    return row?.status ?? null;
  } finally {
    db.close();
  }
}

/** What the killed child's journal published, by sequence number. */
function journaledLog(path: string): { seq: number; type: string }[] {
  const db = new Database(path);
  try {
    const rows = db.prepare("SELECT event FROM stepwise_events ORDER BY seq").pluck().all();
    return (rows as string[]).map((text) => {
      const entry = JSON.parse(text);
      return { seq: entry.seq, type: entry.event.type };
    });
  } finally {
    db.close();
  }
}

function lines(path: string): string[] {
  try {
    return readFileSync(path, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

interface Point {
  readonly index: number;
  readonly journal: string;
  readonly side: string;
  readonly seed: number;
  readonly killAfterMs: number;
  /** The run's status in the journal after the kill; null when it died before its first batch. */
  status: string | null;
  journaled: Set<string>;
  published: { seq: number; type: string }[];
}

const outcomes = {
  killedMidRun: 0,
  finishedBeforeKill: 0,
  killedBeforeFirstBatch: 0,
  rerunSteps: 0,
};

describe("SqliteRuntime after SIGKILL", { timeout: 180_000 }, () => {
  it(`recovers a ten-step run killed at ${POINTS} random points: same result, no journaled step twice, a whole log`, async (t) => {
    const started = performance.now();
    const expected = new Map<number, unknown>();
    for (let seed = 1; seed <= POINTS; seed++) {
      expected.set(seed, await crashFlow(new InMemoryRuntime(), null).run({ seed }));
    }
    const rand = random(12);
    const points: Point[] = Array.from({ length: POINTS }, (_, index) => ({
      index,
      journal: join(dir, `run-${index}.db`),
      side: join(dir, `run-${index}.side`),
      seed: index + 1,
      // A run takes ~30-60 ms here; some kills land after it has finished, which is a point too.
      killAfterMs: Math.floor(rand() * 70),
      status: null,
      journaled: new Set(),
      published: [],
    }));

    /** Checks the report of the child that recovered `point`. */
    const check = (point: Point, report: any, afterSide: string) => {
      const want = expected.get(point.seed);
      if (point.status !== "running") {
        assert.equal(
          report.recovered,
          0,
          `point ${point.index}: a ${point.status} run is not recovered`,
        );
        if (point.status === null) outcomes.killedBeforeFirstBatch++;
        else outcomes.finishedBeforeKill++;
        return;
      }
      outcomes.killedMidRun++;
      assert.equal(report.recovered, 1, `point ${point.index}: the killed run is recovered`);
      assert.deepEqual(report.result, want, `point ${point.index}: the in-memory result`);
      const again = lines(afterSide).filter((mark) => point.journaled.has(mark));
      assert.deepEqual(again, [], `point ${point.index}: no journaled invocation runs again`);
      outcomes.rerunSteps += lines(afterSide).length;
      const log = report.log as { seq: number; type: string }[];
      assert.deepEqual(
        log.map((entry) => entry.seq),
        log.map((_, i) => i),
        `point ${point.index}: the log from -1 has every sequence number once`,
      );
      assert.deepEqual(
        log.slice(0, point.published.length),
        point.published,
        `point ${point.index}: the log starts with what the killed process published`,
      );
      assert.equal(log.at(-1)?.type, "StopEvent");
    };

    const chain = async (chainIndex: number) => {
      let last: Point | null = null;
      const mine = points.filter((p) => p.index % CHAINS === chainIndex);
      for (const point of [...mine, null]) {
        const args = point
          ? ["chain", point.journal, `${point.side}.a`, `run-${point.index}`, String(point.seed)]
          : ["recover"];
        if (!point && !last) break;
        if (last) args.push(last.journal, `${last.side}.b`);
        const child = new Child(args);
        if (last) {
          const report = await child.waitFor(
            (line) => typeof line === "object" && line !== null && "recovered" in line,
          );
          check(last, report, `${last.side}.b`);
        }
        if (!point) {
          assert.equal(await child.exited, 0, child.stderr);
          break;
        }
        await child.waitFor((line) => line === "started");
        await new Promise((resolve) => setTimeout(resolve, point.killAfterMs));
        child.kill();
        await child.exited;
        point.status = runStatus(point.journal);
        point.journaled = journaledMarks(point.journal);
        point.published = journaledLog(point.journal);
        last = point;
      }
    };
    const chains = await Promise.allSettled(Array.from({ length: CHAINS }, (_, i) => chain(i)));
    for (const settled of chains) if (settled.status === "rejected") throw settled.reason;
    assert.equal(
      outcomes.killedMidRun + outcomes.finishedBeforeKill + outcomes.killedBeforeFirstBatch,
      POINTS,
    );
    assert.ok(
      outcomes.killedMidRun >= POINTS / 2,
      `most kills land mid-run (${JSON.stringify(outcomes)})`,
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    t.diagnostic(`crash points: ${JSON.stringify(outcomes)} in ${seconds} s`);
  });

  it("completes a run killed while waiting for a human once the answer comes after the restart", async () => {
    const journal = join(dir, "interview.db");
    const asking = new Child(["ask", journal, "interview-1"]);
    await asking.waitFor((line) => line === "asked");
    asking.kill();
    await asking.exited;
    const answering = new Child(["answer", journal]);
    const report = await answering.waitFor(
      (line) => typeof line === "object" && line !== null && "result" in line,
    );
    assert.deepEqual(report, { result: "hi ada" });
    assert.equal(await answering.exited, 0, answering.stderr);
  });
});
