/**
 * The torture test, reduced for CI (issue 13, item 6): 20 runs of a workflow with a chain, a
 * fan-out of 20 and its fan-in, a retried step and a wait for a person, over 3 worker
 * processes, one of which is SIGKILLed every ~2 s and replaced. The full count is
 * `scripts/torture.ts`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { describeReport, runTorture, type TortureReport } from "./fixtures/torture-harness.ts";
import { freshDatabase, skipPostgres } from "./support/postgres.ts";

describe("torture: workers killed at random while runs go on", { skip: skipPostgres }, () => {
  let databaseUrl = "";
  let drop = async () => {};
  before(async () => {
    ({ url: databaseUrl, drop } = await freshDatabase("stepwise_torture"));
  });
  after(async () => {
    await drop();
  });

  it("loses no run, matches the in-memory results, runs no completed step twice, keeps every stream whole", {
    timeout: 150_000,
  }, async () => {
    const report: TortureReport = await runTorture({
      databaseUrl,
      runs: 20,
      workers: 3,
      killEveryMs: 2000,
      startEveryMs: 600,
      replacement: "alternate",
      deadlineMs: 100_000,
    });
    const figures = describeReport(report);
    for (const line of figures) console.log(line);
    const why = figures.join("\n");
    assert.deepEqual(report.lost, [], why);
    assert.deepEqual(report.failed, [], why);
    assert.deepEqual(report.mismatched, [], why);
    assert.equal(report.completed, 20, why);
    assert.deepEqual(report.effects.missing, [], why);
    assert.equal(report.effects.recorded, report.effects.expected, why);
    assert.equal(report.completedTwice, 0, why);
    assert.equal(report.classifierMisses, 0, why);
    assert.deepEqual(report.streams.problems, [], why);
    assert.equal(report.streams.checked, 20, why);
    assert.equal(report.retries.runsRetried, 20, why);
    assert.equal(report.questionsAnswered, 20, why);
    assert.deepEqual(report.workerExits, [], why);
    assert.ok(report.kills.length >= 2, why);
  });
});
