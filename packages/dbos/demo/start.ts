/** Starts a run from a process that runs none itself, and follows it to its result. */

import type { Event } from "@stepwise/core";
import { DbosRuntime } from "@stepwise/dbos";
import { demoFlow } from "./flow.ts";

const runtime = new DbosRuntime({
  databaseUrl: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  executorId: `starter-${process.pid}`,
  worker: false,
});
const handler = demoFlow(runtime).run({}, { runId: process.argv[2] });
console.log(
  `run ${handler.runId} started; kill -9 the worker that runs it and watch another take over`,
);
for await (const { seq, event } of handler.subscribe()) {
  // Events only written to the stream are read back by type (the workflow's steps do not name them).
  if ((event.constructor as typeof Event).eventType !== "Progress") continue;
  console.log(
    `#${seq} step ${event.get("n")} ran on ${event.get("worker")} (pid ${event.get("pid")})`,
  );
}
console.log(`result: ${await handler}`);
await runtime.shutdown();
