import { readFileSync } from "node:fs";
import os from "node:os";

/** Facts about the machine and software a result was measured on. */
export interface MachineFacts {
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
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
  // Read the installed package.json directly: not every package exports it.
  const path = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
  try {
    return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
  } catch {
    return "not installed";
  }
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
    packages: Object.fromEntries(measuredPackages.map((name) => [name, versionOf(name)])),
  };
}
