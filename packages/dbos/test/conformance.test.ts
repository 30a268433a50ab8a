import { after } from "node:test";
import { runtimeSuite } from "../../core/test/conformance/runtime-suite.ts";
import { DbosRuntime } from "../src/index.ts";
import { freshDatabase, skipPostgres } from "./support/postgres.ts";

if (!skipPostgres) {
  const { url: databaseUrl, drop } = await freshDatabase();
  const made: DbosRuntime[] = [];
  const open = (clock?: import("@stepwise/core").Clock) => {
    const runtime = new DbosRuntime({
      databaseUrl,
      executorId: "conformance",
      idleTimeoutMs: 60_000,
      ...(clock ? { clock } : {}),
    });
    made.push(runtime);
    return runtime;
  };
  after(async () => {
    for (const runtime of made) await runtime.shutdown();
    await drop();
  });
  runtimeSuite("dbos", (options) => open(options?.clock), {
    storage: () => ({
      open: () => open(),
      crash: (runtime) => (runtime as DbosRuntime).crash(),
    }),
  });
}
