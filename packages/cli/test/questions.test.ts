import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertOneLineError } from "./assertions.js";
import { runInProcess, scriptedInput } from "./run-cli.js";
import { fixture, runStepwise } from "./spawn-cli.js";

const refund = fixture("refund.ts");
const interview = fixture("interview.ts");

describe("stepwise run answering InputRequiredEvents", { concurrency: 4 }, () => {
  it("answers with the fields of a --respond JSON object, as the class a step accepts", async () => {
    const run = await runInProcess(["run", refund, "--respond", '{"approved":true}']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "approved by operator\n");
    assert.equal(
      run.stderr,
      [
        "ApprovalRequestEvent: Refund 250? (yes/no)",
        "  answer as ApprovalResponseEvent: a JSON object of approved (boolean), reviewer (string, optional)",
        '  answer from --respond: {"approved":true}',
        "",
      ].join("\n"),
    );
  });

  it("reads one answer per line from a pipe", async () => {
    const input = scriptedInput(['{"approved":false,"reviewer":"Ada"}'], false);
    const run = await runInProcess(["run", refund], { input });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "declined by Ada\n");
    assert.match(run.stderr, /\n {2}answer from stdin: \{"approved":false,"reviewer":"Ada"\}\n$/);
  });

  it("reads a piped answer from the bin's stdin", async () => {
    const run = await runStepwise(["run", refund, "--input", '{"amount":40}'], {
      stdin: '{"approved":true,"reviewer":"pipe"}\n',
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "approved by pipe\n");
  });

  it("asks again on a terminal when an answer does not fit, saying what would", async () => {
    const input = scriptedInput(["yes", '{"approved":true,"reviewer":"Grace"}'], true);
    const run = await runInProcess(["run", refund], { input });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "approved by Grace\n");
    assert.deepEqual(input.prompts, ["> ", "> "]);
    assert.match(
      run.stderr,
      /\n {2}`ApprovalResponseEvent` has no `response` field for a plain-text answer; answer with a JSON object of approved \(boolean\), reviewer \(string, optional\)\n$/,
    );
  });

  it("fails in one line when a piped answer does not fit", async () => {
    const input = scriptedInput(['{"approved":"maybe"}'], false);
    const run = await runInProcess(["run", refund], { input });
    assert.equal(run.code, 1);
    const last = run.stderr.trimEnd().split("\n").at(-1);
    assert.match(
      last!,
      /^stepwise: error: the answer from stdin to `ApprovalRequestEvent` does not fit: it is not a valid `ApprovalResponseEvent` \(`approved`: Invalid input: expected boolean, received string \(received "maybe"\)\); it takes approved \(boolean\), reviewer \(string, optional\)$/,
    );
  });

  it("fails at once, saying how to answer, when no answer is left", async () => {
    const run = await runInProcess(["run", refund], { input: scriptedInput([], false) });
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /\nstepwise: error: the run asks for input \(`ApprovalRequestEvent`\) and no answer is left; answer on a terminal, pipe the answers in \(one line each\), or pass --respond '<json>'\n$/,
    );
  });

  it("puts plain text into the `response` field of the class a step waits for, with the wait's requirements", async () => {
    const input = scriptedInput(["Ada", "green"], true);
    const run = await runInProcess(["run", interview], { input });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "Ada likes green\n");
    assert.match(
      run.stderr,
      /^QuestionEvent: Your name\?\n {2}answer as AnswerEvent: text, or a JSON object of topic \(string\), response \(string\)\n/,
    );
    assert.match(run.stderr, /\nQuestionEvent: Your favourite colour\?\n/);
  });

  it("takes several answers from a --respond JSON array, in order", async () => {
    const run = await runInProcess(["run", interview, "--respond", '["Grace", "blue"]']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "Grace likes blue\n");
  });

  it("takes several answers from repeated --respond options, in order", async () => {
    const run = await runInProcess([
      "run",
      interview,
      "--respond",
      "Alan",
      "--respond",
      '{"response":"red"}',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "Alan likes red\n");
  });

  it("refuses a --respond array item that is neither an object nor text", async () => {
    assertOneLineError(
      await runInProcess(["run", interview, "--respond", "[1]"]),
      /--respond \[1\]: each answer in the array must be a JSON object of fields or a string; got 1$/,
    );
  });
});
