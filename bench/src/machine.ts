import { existsSync, readFileSync } from "node:fs";
import os from "node:os";

/** Facts about the machine and software a result was measured on. */
export interface MachineFacts {
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  /** 1-, 5- and 15-minute load averages when the facts were taken. */
  readonly loadAverage: readonly number[];
  readonly packages: Record<string, string>;
}

const measuredPackages = [
  "@stepwise/core",
  "@llamaindex/workflow-core",
  "@langchain/langgraph",
  "@langchain/core",
  "@mastra/core",
  "zod",
];

function versionOf(name: string): string {
  // Read the installed package.json directly: not every package exports it. The peers are in the
  // bench's own install (bench/node_modules), stepwise in the repository's (node_modules).
  for (const dir of ["../node_modules/", "../../node_modules/"]) {
    const path = new URL(`${dir}${name}/package.json`, import.meta.url);
    if (existsSync(path))
      return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
  }
  return "not installed";
}

/** Collects the facts printed above the table and stored in the results file. */
export function machineFacts(): MachineFacts {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
    packages: Object.fromEntries(measuredPackages.map((name) => [name, versionOf(name)])),
  };
}

/**
 * A warning when other processes kept the CPUs busy (figures then overstate every cost). The
 * bench itself keeps about one core busy, so the load at the end counts one less.
 */
export function busyWarning(
  start: readonly number[],
  end: readonly number[],
  cores: number,
): string | null {
  const before = start[0] ?? 0;
  const others = Math.max(0, (end[0] ?? 0) - 1);
  if (before < cores * 0.5 && others < cores * 0.5) return null;
  return (
    `WARNING: the machine was busy (1-minute load average ${before} at start, ${end[0]} at end ` +
    `of which about 1 is the bench, on ${cores} cores): other processes competed for the CPU, ` +
    "so the figures are inflated and noisy."
  );
}
