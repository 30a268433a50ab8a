import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { assertOneLineError } from "./assertions.js";
import { runInProcess } from "./run-cli.js";
import { fixture, runStepwise } from "./spawn-cli.js";

const workDir = mkdtempSync(join(tmpdir(), "stepwise-cli-run-"));
after(() => rmSync(workDir, { recursive: true, force: true }));

describe("stepwise run", { concurrency: 3 }, () => {
  it("prints a string result as it is", async () => {
    const run = await runStepwise(["run", fixture("progress.ts"), "--input", '{"name":"Ada"}']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "Hello, Ada!\n");
  });

  it("prints any other result as JSON", async () => {
    const run = await runInProcess([
      "run",
      fixture("rag.ts"),
      "--input",
      '{"query":"What is AI?"}',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), {
      answer: "about What is AI?",
      sources: ["doc-a", "doc-b"],
    });
  });

  it("runs without --input", async () => {
    const run = await runInProcess(["run", fixture("progress.ts")]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "Hello, world!\n");
  });

  it("prints each streamed event as `eventType {json}` before the result with --stream", async () => {
    const run = await runInProcess([
      "run",
      fixture("progress.ts"),
      "--stream",
      "--input",
      '{"name":"Ada"}',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split("\n");
    assert.deepEqual(lines.slice(0, 2), [
      'ProgressEvent {"message":"looking up"}',
      'ProgressEvent {"message":"writing"}',
    ]);
    assert.match(lines[2]!, /^StopEvent \{"result":"Hello, Ada!"\}$/);
    assert.equal(lines[3], "Hello, Ada!");
    assert.equal(lines.length, 4);
  });

  it("runs the workflow named by --export", async () => {
    const run = await runInProcess([
      "run",
      fixture("several.ts"),
      "--export",
      "UpperWorkflow",
      "--input",
      '{"text":"quiet"}',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "QUIET\n");
  });

  it("runs a workflow instance exported by a JavaScript module", async () => {
    const run = await runInProcess(["run", fixture("plain.js"), "--input", '{"text":"hi"}']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { echoed: "hi" });
  });

  it("writes a drawing of what the run did with --draw", async () => {
    const output = join(workDir, "run.html");
    const run = await runInProcess([
      "run",
      fixture("rag.ts"),
      "--input",
      '{"query":"q"}',
      "--draw",
      output,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, `wrote ${output}\n`);
    const html = readFileSync(output, "utf8");
    assert.match(html, /retrieve#\d+/);
    assert.match(html, /synthesize#\d+/);
  });

  it("says --input is not valid JSON, quoting the parser", async () => {
    const run = await runInProcess(["run", fixture("rag.ts"), "--input", "{query: 1}"]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^stepwise: error: --input is not valid JSON \(.+\); pass an object such as/,
    );
    assert.equal(run.stderr.trimEnd().split("\n").length, 1);
  });

  it("says --input must be a JSON object when it is an array", async () => {
    const run = await runInProcess(["run", fixture("rag.ts"), "--input", "[1,2]"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^stepwise: error: --input must be a JSON object .*; got an array\n$/);
  });

  it("lists the workflow exports when --export names a missing export", async () => {
    const run = await runInProcess(["run", fixture("several.ts"), "--export", "Middle"]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^stepwise: error: .* has no export named `Middle`; its workflow exports are `LowerWorkflow`, `UpperWorkflow`\n$/,
    );
  });

  it("says how to fix a class that cannot be built without arguments", async () => {
    assertOneLineError(
      await runInProcess(["run", fixture("needs-args.ts")]),
      /^stepwise: error: could not create `IndexedWorkflow` with no arguments \(TypeError: IndexedWorkflow needs an index\); export a ready-made instance instead, e\.g\. `export const workflow = new IndexedWorkflow\(\.\.\.\)`, and run it with `--export workflow`/,
    );
  });

  it("says that it created the class with no arguments when a step of it fails", async () => {
    assertOneLineError(
      await runInProcess(["run", fixture("constructor-args.ts")]),
      /^stepwise: error: the run failed: TypeError: Cannot read properties of undefined \(reading 'length'\); the CLI created `IndexedSearch` with no arguments, but its constructor declares 1 parameter; export a ready-made instance instead, e\.g\. `export const workflow = new IndexedSearch\(\.\.\.\)`, and run it with `--export workflow`/,
    );
  });

  it("streams the failure event with the error's name and message before reporting the failed run", async () => {
    const run = await runInProcess(["run", fixture("failing.ts"), "--stream"]);
    assert.equal(run.code, 1);
    assert.match(
      run.stdout,
      /^WorkflowFailedEvent \{"stepName":"explode","error":\{"name":"Error","message":"the index is empty"\},/,
    );
  });

  it("reports a step's error as one line without a stack, saying that --verbose prints it", async () => {
    const run = await runInProcess(["run", fixture("failing.ts")]);
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      "stepwise: error: the run failed: the index is empty (--verbose prints the stack)\n",
    );
  });
});

describe("stepwise run --verbose", () => {
  /** Asserts the one-line error, then the step's stack, then its cause with its own stack. */
  function assertStackAndCause(stderr: string) {
    const [first, second, ...rest] = stderr.trimEnd().split("\n");
    assert.equal(first, "stepwise: error: the run failed: the index is empty");
    assert.equal(second, "the index is empty");
    const frames = rest.slice(
      0,
      rest.findIndex((line) => line.startsWith("Caused by: ")),
    );
    assert.ok(frames.length > 0, `stack frames before the cause:\n${stderr}`);
    assert.ok(frames.every((line) => /^\s+at /.test(line)));
    assert.match(frames[0]!, /failing\.ts:\d+:\d+/);
    assert.match(stderr, /\nCaused by: index\.json is missing\n\s+at .*failing\.ts:\d+:\d+/);
  }

  it("prints the stack of a step's error and its cause chain", async () => {
    const run = await runInProcess(["run", fixture("failing.ts"), "--verbose"]);
    assert.equal(run.code, 1);
    assertStackAndCause(run.stderr.replace(/^stepwise: loading .*\n/, ""));
  });

  it("prints them with STEPWISE_DEBUG=1 too", async () => {
    const run = await runInProcess(["run", fixture("failing.ts")], {
      env: { STEPWISE_DEBUG: "1" },
    });
    assert.equal(run.code, 1);
    assertStackAndCause(run.stderr.replace(/^stepwise: loading .*\n/, ""));
  });

  it("says how it loads the module", async () => {
    const run = await runInProcess(["--verbose", "run", fixture("progress.ts")]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stderr,
      /^stepwise: loading `.*progress\.ts` as an ES module: .*package\.json has `"type": "module"`\n$/,
    );
  });

  it("prints the stack of a module that throws while loading", async () => {
    const run = await runInProcess(["draw", fixture("throws-on-import.ts"), "--verbose"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /\nOPENAI_API_KEY is not set\n\s+at .*throws-on-import\.ts:2:\d+/);
  });
});
