/**
 * Runs the CLI in this process, through `runCli` as the bin does, and collects what it wrote.
 * The test process runs like the bin from the sources does (tsx, the `@stepwise/source`
 * condition), so loading fixtures here is as faithful as a child process, and much faster.
 */
import { type CliInput, runCli } from "@stepwise/cli";
import type { CliRun } from "./spawn-cli.js";

/** Options of {@link runInProcess}. */
export interface InProcessOptions {
  /** Answers typed or piped in. */
  input?: CliInput;
  env?: Record<string, string | undefined>;
}

/** Runs `stepwise <args>` in this process. */
export async function runInProcess(
  args: string[],
  options: InProcessOptions = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(
    args,
    {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
    },
    { ...(options.input ? { input: options.input } : {}), env: options.env ?? {} },
  );
  return { code, stdout, stderr };
}

/**
 * Answers given line by line, as a terminal (`isInteractive`) or a pipe would; `null` once they
 * run out. Records the prompts it was shown.
 */
export function scriptedInput(
  lines: readonly string[],
  isInteractive: boolean,
): CliInput & { prompts: string[] } {
  const queue = [...lines];
  const prompts: string[] = [];
  return {
    isInteractive,
    prompts,
    async readLine(prompt) {
      prompts.push(prompt);
      return queue.shift() ?? null;
    },
  };
}
