import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));

/** Runs a fixture script in a fresh Node process, from source, and returns its stdout. */
async function runFixture(script: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    ["--conditions=@stepwise/source", "--import", "tsx", `test/fixtures/${script}`, ...args],
    { cwd: packageDir, timeout: 60_000 },
  );
  return stdout;
}

describe("runs across processes", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "stepwise-cross-process-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes a snapshot of a run paused for human input, which a second process finishes, each step running exactly once", async () => {
    const file = join(dir, "survey.json");
    const first = JSON.parse(await runFixture("hitl-part1.ts", file));
    assert.deepEqual(first, { prompt: "Favourite colour?" });
    const snapshot = JSON.parse(await readFile(file, "utf8"));
    assert.equal(snapshot.workflow, "Survey");
    assert.equal(snapshot.status, "running");

    const second = JSON.parse(await runFixture("hitl-part2.ts", file, "blue"));
    assert.deepEqual(second, { result: "favourite blue", ran: ["ask", "record"] });
  });
});
