/**
 * The server the load script drives, in a child process of its own (so that the clients' work is
 * not the server's): `createServer` + `serve` on 127.0.0.1, as `stepwise serve` does it, on the
 * in-memory runtime or on a SqliteRuntime with its handler store (`stepwise serve --store FILE`).
 * With a fourth argument, runs idle that many seconds are released (`idleTimeout`).
 * Started by main.ts with `fork`; it sends `{ url }` when listening, answers `"stats"` with its
 * memory after a full GC and `serverStats`, and exits on `"close"`.
 */
import { createServer, type HandlerRecord, serve, serverStats } from "@stepwise/server";
import { SqliteRuntime } from "@stepwise/sqlite";
import { servedWorkflows } from "./workflows.js";

/** What the server answers to `"stats"`. */
export interface ServerReport {
  rssMiB: number;
  heapUsedMiB: number;
  runsInMemory: number;
  waitingStreams: number;
  /** Runs in progress on the runtime (the SQLite one), or null for the in-memory store. */
  runtimeRuns: number | null;
}

const [store = "memory", path = "", synchronous = "full", idle = ""] = process.argv.slice(2);
const runtime =
  store === "sqlite"
    ? new SqliteRuntime({ path, synchronous: synchronous === "normal" ? "normal" : "full" })
    : null;
const app = createServer({
  workflows: servedWorkflows(),
  ...(runtime ? { runtime, store: runtime.handlerStore<HandlerRecord>() } : {}),
  ...(runtime && idle ? { idleTimeout: Number(idle) } : {}),
  debugger: false,
});
const running = await serve(app, { port: 0, host: "127.0.0.1" });

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

process.on("message", (message) => {
  if (message === "stats") {
    (globalThis as { gc?: () => void }).gc?.();
    const memory = process.memoryUsage();
    const report: ServerReport = {
      rssMiB: mib(memory.rss),
      heapUsedMiB: mib(memory.heapUsed),
      ...serverStats(app),
      runtimeRuns: runtime ? runtime.listRuns().length : null,
    };
    process.send?.({ stats: report });
  } else if (message === "close") {
    running
      .close()
      .finally(() => {
        runtime?.close();
        process.exit(0);
      })
      .catch(() => process.exit(1));
  }
});
process.send?.({ url: running.url });
