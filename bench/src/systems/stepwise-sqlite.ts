import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Workflow } from "@stepwise/core";
import { SqliteRuntime, type Synchronous } from "@stepwise/sqlite";
import { ChainFlow, FanOutFlow, TinyFlow } from "./stepwise.js";
import { type BenchSystem, expectEqual, type RunOnce } from "./types.js";

// stepwise on @stepwise/sqlite: the same workflows as the stepwise column, each run journaled in
// one SQLite file (WAL, one transaction per drain batch) in a temporary folder of the child.
// `stepwise-sqlite` syncs every batch to disk (`synchronous: "full"`, the default: a run
// survives a power cut); `stepwise-sqlite-normal` survives a killed process only.

function runOf(wf: Workflow, what: string, expected: number): RunOnce {
  return async () => {
    expectEqual("stepwise-sqlite", what, await wf.run(), expected);
  };
}

function sqliteSystem(id: string, synchronous: Synchronous): BenchSystem {
  let runtime: SqliteRuntime | null = null;
  const open = () => {
    if (runtime) return runtime;
    const dir = mkdtempSync(join(tmpdir(), "stepwise-bench-"));
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    runtime = new SqliteRuntime({ path: join(dir, "runs.db"), synchronous });
    return runtime;
  };
  return {
    id,
    label: `stepwise + sqlite (${synchronous})`,
    async chain(n) {
      return runOf(new ChainFlow(n, { runtime: open() }), "chain", n);
    },
    async fanOut(n) {
      return runOf(new FanOutFlow(n, true, { runtime: open() }), "fan-out", n);
    },
    async tinyRun() {
      return runOf(new TinyFlow({ runtime: open() }), "tiny run", 1);
    },
  };
}

/** stepwise with every batch synced to disk. */
export const stepwiseSqlite = sqliteSystem("stepwise-sqlite", "full");
/** stepwise with batches written to the WAL and synced at checkpoints. */
export const stepwiseSqliteNormal = sqliteSystem("stepwise-sqlite-normal", "normal");
