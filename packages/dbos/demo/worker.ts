/** A worker: `npx tsx packages/dbos/demo/worker.ts worker-1` (DATABASE_URL names the database). */
import { DbosRuntime } from "@stepwise/dbos";
import { demoFlow } from "./flow.ts";

const name = process.argv[2] ?? "worker-1";
process.env.WORKER = name;
const runtime = new DbosRuntime({
  databaseUrl: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  executorId: name,
});
await runtime.launch([demoFlow(runtime)]);
console.log(`${name} (pid ${process.pid}) serves DurableDemo; Ctrl-C or kill -9 to stop it`);
process.on("SIGINT", () => void runtime.shutdown().then(() => process.exit(0)));
