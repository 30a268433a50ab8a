/**
 * Runs the `stepwise` CLI in a child process: from its TypeScript sources (through tsx, with the
 * `@stepwise/source` condition, as the tests of every package run), or as its bin script.
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The path of a fixture module. */
export function fixture(name: string): string {
  return join(packageDir, "test", "fixtures", name);
}

/** What a CLI run printed and how it ended. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Where and how to run a child process. */
export interface SpawnOptions {
  cwd?: string;
  /** Written to the child's stdin, which is then closed; without it stdin is empty. */
  stdin?: string;
  /** Added to the environment. */
  env?: Record<string, string>;
}

/** Runs `node <args>` and collects its output. */
export function runNode(args: string[], options: SpawnOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd ?? packageDir,
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

/** Runs `stepwise <args>` from the sources and collects its output. */
export function runStepwise(args: string[], options: SpawnOptions = {}): Promise<CliRun> {
  return runNode(
    [
      "--conditions=@stepwise/source",
      "--import",
      // Resolved here, not from `cwd`: tests run the CLI in temporary folders.
      import.meta.resolve("tsx"),
      join(packageDir, "src", "main.ts"),
      ...args,
    ],
    options,
  );
}

/** The bin script, as `npx stepwise` runs it. */
export const BIN_PATH = join(packageDir, "bin", "stepwise.js");

/** Runs the bin script itself (dist/ when built, the sources otherwise). */
export function runBin(args: string[], options: SpawnOptions = {}): Promise<CliRun> {
  return runNode([BIN_PATH, ...args], options);
}
