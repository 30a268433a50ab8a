import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ChildSpec } from "./child.js";
import type { Measurement } from "./measure.js";

/** The outcome of one child: a measurement, or why there is none. */
export type ChildOutcome =
  | { readonly ok: true; readonly result: Measurement; readonly warnings: string[] }
  | {
      readonly ok: false;
      readonly error: string;
      readonly timedOut: boolean;
      readonly warnings: string[];
    };

/** Options for starting a child. */
export interface ChildOptions {
  /** Load stepwise from its TypeScript source instead of packages/core/dist. */
  readonly source: boolean;
  /** Extra node flags (the profiler adds `--cpu-prof`). */
  readonly nodeFlags?: readonly string[];
}

const childPath = fileURLToPath(new URL("./child.ts", import.meta.url));

function warningsIn(stderr: string): string[] {
  const lines = stderr.split("\n").filter((line) => /Warning|warn/i.test(line));
  return [...new Set(lines.map((line) => line.replace(/^\(node:\d+\) /, "").trim()))];
}

/** Measures one scenario of one system in a fresh node process (fresh heap, no shared JIT). */
export function runChild(spec: ChildSpec, options: ChildOptions): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const execArgv = [
      "--expose-gc",
      ...(options.source ? ["--conditions=@stepwise/source"] : []),
      "--import",
      "tsx",
      ...(options.nodeFlags ?? []),
    ];
    const child = fork(childPath, [JSON.stringify(spec)], {
      execArgv,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      // The same environment for every system: production mode, no LangSmith tracing.
      env: {
        ...process.env,
        NODE_ENV: "production",
        LANGCHAIN_TRACING_V2: "false",
        LANGSMITH_TRACING: "false",
      },
    });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    let message: { ok: boolean; result?: Measurement; error?: string } | undefined;
    child.on("message", (m) => {
      message = m as typeof message;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, spec.scenario.plan.killAfterMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      const warnings = warningsIn(output);
      if (message?.ok && message.result) resolve({ ok: true, result: message.result, warnings });
      else if (timedOut)
        resolve({
          ok: false,
          timedOut: true,
          error: `timed out after ${spec.scenario.plan.killAfterMs / 1000} s`,
          warnings,
        });
      else
        resolve({
          ok: false,
          timedOut: false,
          error: message?.error ?? `child exited with ${signal ?? code}:\n${output.slice(-2000)}`,
          warnings,
        });
    });
  });
}
