/** Run ids used again: a new run under an ended run's id is a run of its own, in every process. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DbosRuntime } from "../src/index.ts";
import { chainFlow } from "./fixtures/flows.ts";
import { freshDatabase, skipPostgres } from "./support/postgres.ts";

const CLIENT = fileURLToPath(new URL("./fixtures/client.ts", import.meta.url));

/** Starts run `runId` of the chain fixture from a client process of its own; its output line. */
async function runFromAnotherProcess(databaseUrl: string, runId: string, hops: number) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--conditions=@stepwise/source", "--import", "tsx", CLIENT],
    { env: { ...process.env, DATABASE_URL: databaseUrl, RUN_ID: runId, HOPS: String(hops) } },
  );
  return stdout.trim();
}

describe("@stepwise/dbos: run ids used again", { skip: skipPostgres }, () => {
  let url = "";
  let drop = async () => {};
  let worker: DbosRuntime;

  before(async () => {
    ({ url, drop } = await freshDatabase());
    worker = new DbosRuntime({ databaseUrl: url, executorId: "worker", idleTimeoutMs: 60_000 });
    await worker.launch([chainFlow(worker)]);
  });
  after(async () => {
    await worker.shutdown();
    await drop();
  });

  it("gives a run under the id of a run this process executed for another process its own result", async () => {
    assert.equal(await runFromAnotherProcess(url, "reused-1", 1), "result 1");
    assert.equal(await chainFlow(worker).run({ hops: 3, delayMs: 0 }, { runId: "reused-1" }), 3);
  });
});
