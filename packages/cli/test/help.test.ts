import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runInProcess } from "./run-cli.js";
import { runBin } from "./spawn-cli.js";

describe("stepwise --help", () => {
  it("lists the draw and run commands and exits 0", async () => {
    const run = await runBin(["--help"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Usage: stepwise \[options\] \[command\]/);
    assert.match(run.stdout, /\n {2}draw \[options\] <module>/);
    assert.match(run.stdout, /\n {2}run \[options\] <module>/);
  });

  it("describes the options of draw", async () => {
    const run = await runInProcess(["draw", "--help"]);
    assert.equal(run.code, 0, run.stderr);
    for (const option of [
      "--export <name>",
      "--output <file>",
      "--mermaid",
      "--max-label-length <n>",
    ]) {
      assert.ok(run.stdout.includes(option), `mentions ${option}`);
    }
  });

  it("describes the options of run", async () => {
    const run = await runInProcess(["run", "--help"]);
    assert.equal(run.code, 0, run.stderr);
    for (const option of [
      "--export <name>",
      "--input <json>",
      "--stream",
      "--respond <answer>",
      "--draw <file>",
      "--verbose",
    ]) {
      assert.ok(run.stdout.includes(option), `mentions ${option}`);
    }
  });

  it("says how run answers a question and how an answer becomes a response event", async () => {
    const run = await runInProcess(["run", "--help"]);
    assert.equal(run.code, 0, run.stderr);
    const text = run.stdout.replace(/\s+/g, " ");
    assert.match(
      text,
      /for each InputRequiredEvent of the run, the CLI sends the workflow's own HumanResponseEvent subclass/,
    );
    assert.match(
      text,
      /A JSON object \(\{"approved":true\}\) gives the event's fields; plain text fills its `response` field/,
    );
  });

  it("mentions --verbose and STEPWISE_DEBUG in the top-level help", async () => {
    const run = await runInProcess(["--help"]);
    assert.match(
      run.stdout.replace(/\s+/g, " "),
      /--verbose on an error, also print its stack and causes \(or set STEPWISE_DEBUG=1\)/,
    );
  });

  it("rejects an unknown command with exit code 1", async () => {
    const run = await runInProcess(["paint"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /unknown command 'paint'/);
  });

  it("prints the version with --version", async () => {
    const run = await runInProcess(["--version"]);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, "0.1.0\n");
  });
});
