/** Assertions shared by the CLI's tests. */
import assert from "node:assert/strict";
import type { CliRun } from "./spawn-cli.js";

/** Asserts a failure reported as exactly one line, with exit code 1 and no stack trace. */
export function assertOneLineError(run: CliRun, pattern: RegExp): void {
  assert.equal(run.code, 1, `exit code (stderr: ${run.stderr})`);
  assert.equal(run.stdout, "");
  const lines = run.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line, got:\n${run.stderr}`);
  assert.match(lines[0]!, /^stepwise: error: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
}
