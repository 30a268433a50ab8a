import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { assertOneLineError } from "./assertions.js";
import { runInProcess } from "./run-cli.js";
import { fixture, runStepwise } from "./spawn-cli.js";

const workDir = mkdtempSync(join(tmpdir(), "stepwise-cli-draw-"));
after(() => rmSync(workDir, { recursive: true, force: true }));

describe("stepwise draw", { concurrency: 3 }, () => {
  it("writes <module name>.html in the current directory for the module's only workflow", async () => {
    const run = await runStepwise(["draw", fixture("rag.ts")], { cwd: workDir });
    assert.equal(run.code, 0, run.stderr);
    const path = join(workDir, "rag.html");
    assert.equal(run.stdout, `wrote ${path}\n`);
    const html = readFileSync(path, "utf8");
    assert.match(html, /<h1>RAGWorkflow<\/h1>/);
    assert.match(html, /data-id="step:retrieve"/);
  });

  it("writes to the file named by -o", async () => {
    const output = join(workDir, "out", "flows.html");
    const run = await runInProcess(["draw", fixture("rag.ts"), "-o", output]);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(existsSync(output));
  });

  it("prints Mermaid text with --mermaid", async () => {
    const run = await runInProcess(["draw", fixture("rag.ts"), "--mermaid"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^flowchart TD\n/);
    assert.match(run.stdout, / {4}step_retrieve\["retrieve"\]:::stepStyle\n/);
    assert.match(run.stdout, / {4}event_RetrieveEvent --> step_synthesize\n/);
  });

  it("writes the Mermaid text to -o with --mermaid", async () => {
    const output = join(workDir, "rag.mmd");
    const run = await runInProcess(["draw", fixture("rag.ts"), "--mermaid", "-o", output]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(readFileSync(output, "utf8"), /^flowchart TD\n/);
  });

  it("draws the workflow named by --export when a module exports several", async () => {
    const run = await runInProcess([
      "draw",
      fixture("several.ts"),
      "--export",
      "LowerWorkflow",
      "--mermaid",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /step_lower/);
    assert.doesNotMatch(run.stdout, /step_upper/);
  });

  it("draws a workflow instance exported by a JavaScript module", async () => {
    const run = await runInProcess(["draw", fixture("plain.js"), "--mermaid"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /step_echo\["echo"\]/);
  });

  it("shortens labels with --max-label-length", async () => {
    const run = await runInProcess([
      "draw",
      fixture("rag.ts"),
      "--mermaid",
      "--max-label-length",
      "6",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /step_synthesize\["synth\*"\]/);
  });

  it("names the workflows when a module exports several and --export is missing", async () => {
    assertOneLineError(
      await runInProcess(["draw", fixture("several.ts")]),
      /exports several workflows \(`LowerWorkflow`, `UpperWorkflow`\); choose one with --export <name>/,
    );
  });

  it("names the module's exports when it exports no workflow", async () => {
    assertOneLineError(
      await runInProcess(["draw", fixture("none.ts")]),
      /exports no workflow .*; its exports are `answer`, `helper`/,
    );
  });

  it("lists the workflow exports when --export names a missing export", async () => {
    assertOneLineError(
      await runInProcess(["draw", fixture("several.ts"), "--export", "Nope"]),
      /has no export named `Nope`; its workflow exports are `LowerWorkflow`, `UpperWorkflow`/,
    );
  });

  it("says so when --export names something that is not a workflow", async () => {
    assertOneLineError(
      await runInProcess(["draw", fixture("rag.ts"), "--export", "defaultQuery"]),
      /export `defaultQuery` of .* is not a Workflow instance or subclass; its workflow exports are `RAGWorkflow`/,
    );
  });

  it("says which file is missing", async () => {
    assertOneLineError(
      await runInProcess(["draw", "does-not-exist.ts"]),
      /module `does-not-exist.ts` not found \(looked for .*does-not-exist.ts\)/,
    );
  });

  it("reports a module that throws while loading, quoting its error", async () => {
    assertOneLineError(
      await runInProcess(["draw", fixture("throws-on-import.ts")]),
      /could not load `.*throws-on-import.ts`: OPENAI_API_KEY is not set \(--verbose prints the stack\)$/,
    );
  });

  it("rejects a --max-label-length that is not a positive integer", async () => {
    const run = await runInProcess(["draw", fixture("rag.ts"), "--max-label-length", "zero"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /--max-label-length.*expected an integer of at least 1/);
  });
});
