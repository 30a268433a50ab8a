/**
 * Several worker processes on one database: runs go to whichever worker has capacity, a run
 * waiting for a person holds no worker and resumes on any worker, and a worker killed with
 * SIGKILL leaves its runs to the others.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { StartEvent, StopEvent, Workflow } from "@stepwise/core";
import pg from "pg";
import { DbosRuntime, DbosRuntimeError } from "../src/index.ts";
import { Answer, Ask, chainFlow, interviewFlow } from "./fixtures/flows.ts";
import { freshDatabase, skipPostgres } from "./support/postgres.ts";

const WORKER = fileURLToPath(new URL("./fixtures/worker.ts", import.meta.url));

/** Starts a worker process; resolves once it has launched (or with its error line). */
async function startWorker(databaseUrl: string, executorId: string) {
  const child = spawn(
    process.execPath,
    ["--conditions=@stepwise/source", "--import", "tsx", WORKER],
    {
      env: { ...process.env, DATABASE_URL: databaseUrl, EXECUTOR_ID: executorId },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let output = "";
  const line = await new Promise<string>((resolve) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const first = output.split("\n")[0] ?? "";
      if (output.includes("\n")) resolve(first);
    });
    child.on("exit", () => resolve(output.trim() || "exited"));
  });
  return { child, line };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGKILL");
  await once(child, "exit");
}

describe("@stepwise/dbos: several worker processes", { skip: skipPostgres }, () => {
  let databaseUrl = "";
  let drop = async () => {};
  let client: DbosRuntime;
  const children: ChildProcess[] = [];
  let admin: pg.Pool;

  before(async () => {
    ({ url: databaseUrl, drop } = await freshDatabase());
    const workers = await Promise.all([
      startWorker(databaseUrl, "worker-a"),
      startWorker(databaseUrl, "worker-b"),
    ]);
    for (const worker of workers) {
      children.push(worker.child);
      assert.equal(worker.line, "ready");
    }
    client = new DbosRuntime({ databaseUrl, executorId: "client", worker: false });
    await client.launch();
    admin = new pg.Pool({ connectionString: databaseUrl });
  });

  after(async () => {
    for (const child of children) await kill(child);
    await client?.shutdown();
    await admin?.end();
    await drop();
  });

  it("refuses a second live process with the same executor id", async () => {
    const second = await startWorker(databaseUrl, "worker-a");
    children.push(second.child);
    assert.match(second.line, /^error executorInUse: /);
  });

  it("refuses a run of a workflow that no live worker serves", async () => {
    const nobody = new Workflow({ runtime: client, name: "Nobody" }).addStep(
      "only",
      { accepts: StartEvent, emits: StopEvent },
      () => new StopEvent(),
    );
    await assert.rejects(
      nobody.run({}, { runId: "nobody-1" }),
      (error) => error instanceof DbosRuntimeError && error.code === "noWorker",
    );
    assert.equal(await client.status("nobody-1"), null, "nothing written");
  });

  it("runs what a client that only enqueues starts, on the workers", async () => {
    const wf = chainFlow(client);
    const handlers = Array.from({ length: 6 }, (_, i) =>
      wf.run({ hops: 3, delayMs: 1 }, { runId: `spread-${i}` }),
    );
    assert.deepEqual(await Promise.all(handlers), [3, 3, 3, 3, 3, 3]);
    const ran = await admin.query<{ executor: string }>(
      "SELECT DISTINCT executor FROM stepwise.runs WHERE run_id LIKE 'spread-%'",
    );
    for (const row of ran.rows) assert.ok(["worker-a", "worker-b"].includes(row.executor));
  });

  it("holds no worker while a run waits for a person, and resumes it on a worker when answered", async () => {
    const wf = interviewFlow(client);
    const handler = wf.run({}, { runId: "interview-1" });
    for await (const { event } of handler.subscribe()) if (event instanceof Ask) break;
    let status = await client.status("interview-1");
    for (let i = 0; status !== "waiting" && i < 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = await client.status("interview-1");
    }
    assert.equal(status, "waiting", "released after the workers' idle timeout");
    handler.sendEvent(new Answer({ answer: "ada" }));
    assert.match(await handler, /^hi ada from worker-[ab]$/);
  });

  it("finishes a run on another worker when the worker running it is killed", async () => {
    const wf = chainFlow(client);
    const handler = wf.run({ hops: 30, delayMs: 40 }, { runId: "killed-1" });
    let executor: string | null = null;
    for (let i = 0; !executor && i < 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const row = await admin.query<{ executor: string | null; ticks: number }>(
        "SELECT executor, ticks FROM stepwise.runs WHERE run_id = 'killed-1'",
      );
      if ((row.rows[0]?.ticks ?? 0) > 10) executor = row.rows[0]?.executor ?? null;
    }
    assert.ok(executor, "the run is under way on a worker");
    const victim = children[executor === "worker-a" ? 0 : 1] as ChildProcess;
    const killedAt = Date.now();
    await kill(victim);
    assert.equal(await handler, 30);
    const taken = await admin.query<{ executor: string; segment: number }>(
      "SELECT executor, segment FROM stepwise.runs WHERE run_id = 'killed-1'",
    );
    assert.notEqual(taken.rows[0]?.executor, executor, "another worker finished it");
    assert.ok((taken.rows[0]?.segment ?? 0) >= 1, "in a new segment");
    const journal = await admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM stepwise.events WHERE run_id = 'killed-1'",
    );
    const seqs = await admin.query<{ seq: number }>(
      "SELECT seq FROM stepwise.events WHERE run_id = 'killed-1' ORDER BY seq",
    );
    assert.deepEqual(
      seqs.rows.map((row) => row.seq),
      seqs.rows.map((_, i) => i),
      "its stream has no gap and no duplicate",
    );
    assert.ok((journal.rows[0]?.n ?? 0) > 0);
    console.log(`# took over and finished ${Date.now() - killedAt} ms after the kill`);
  });
});
