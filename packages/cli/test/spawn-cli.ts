/**
 * Runs the `stepwise` CLI in a child process, from its TypeScript sources (through tsx, with the
 * `@stepwise/source` condition, as the tests of every package run).
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

/** Runs `stepwise <args>` in `cwd` and collects its output. */
export function runStepwise(args: string[], options: { cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--conditions=@stepwise/source",
        "--import",
        // Resolved here, not from `cwd`: tests run the CLI in temporary folders.
        import.meta.resolve("tsx"),
        join(packageDir, "src", "main.ts"),
        ...args,
      ],
      { cwd: options.cwd ?? packageDir, stdio: ["ignore", "pipe", "pipe"] },
    );
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
  });
}

/** The bin script, as `npx stepwise` runs it. */
export const BIN_PATH = join(packageDir, "bin", "stepwise.js");

/** Runs the bin script itself (dist/ when built, the sources otherwise). */
export function runBin(args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN_PATH, ...args], {
      cwd: packageDir,
      stdio: ["ignore", "pipe", "pipe"],
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
  });
}
