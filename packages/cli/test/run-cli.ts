/**
 * Runs the CLI in this process, through `runCli` as the bin does, and collects what it wrote.
 * The test process runs like the bin from the sources does (tsx, the `@stepwise/source`
 * condition), so loading fixtures here is as faithful as a child process, and much faster.
 */
import { runCli } from "@stepwise/cli";
import type { CliRun } from "./spawn-cli.js";

/** Options of {@link runInProcess}. */
export interface InProcessOptions {
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
    { env: options.env ?? {} },
  );
  return { code, stdout, stderr };
}
