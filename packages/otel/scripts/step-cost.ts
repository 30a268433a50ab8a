/**
 * What tracing adds per step, on the chain benchmark's workflow (a start step, then one step
 * re-emitting an event until it has hopped `HOPS` times): without observers, and with the
 * tracing observer on the real SDK (a batch span processor and an exporter that drops every
 * span), both with the async-local-storage context manager registered, as the Node SDK does.
 * Prints the median CPU time per hop of each (CPU time, not wall time, so that other processes
 * on a shared machine count less), runs interleaved.
 *
 *   npm run build && node --import tsx packages/otel/scripts/step-cost.ts
 */
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { Event, type RunObserver, StartEvent, StopEvent, Workflow } from "@stepwise/core";
import { createTracingObserver } from "@stepwise/otel";
import { z } from "zod";

const HOPS = 10_000;
const ROUNDS = 25;

class CountEvent extends Event.define({ n: z.number() }) {}

function chain(observers: readonly RunObserver[]): Workflow {
  const wf = new Workflow({ name: "Chain", observers });
  wf.addStep(
    "begin",
    { accepts: StartEvent, emits: CountEvent },
    async () => new CountEvent({ n: 1 }),
  );
  wf.addStep(
    "hop",
    { accepts: CountEvent, emits: [CountEvent, StopEvent] },
    async (ev: CountEvent) =>
      ev.n >= HOPS ? new StopEvent({ result: ev.n }) : new CountEvent({ n: ev.n + 1 }),
  );
  return wf;
}

const dropAll: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
};
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropAll)] });
const cases = {
  "no observer": chain([]),
  "tracing observer": chain([createTracingObserver({ tracer: provider.getTracer("bench") })]),
};

const perHop = new Map<string, number[]>();
for (const wf of Object.values(cases)) await wf.run();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, wf] of Object.entries(cases)) {
    const start = process.cpuUsage();
    await wf.run();
    const used = process.cpuUsage(start);
    const list = perHop.get(name) ?? [];
    list.push((used.user + used.system) / HOPS);
    perHop.set(name, list);
  }
}
const median = (name: string) => {
  const list = [...(perHop.get(name) ?? [])].sort((a, b) => a - b);
  return list[Math.floor(list.length / 2)] as number;
};
for (const name of Object.keys(cases)) console.log(`${name}: ${median(name).toFixed(2)} µs/hop`);
console.log(
  `tracing adds ${(median("tracing observer") - median("no observer")).toFixed(2)} µs per step`,
);
await provider.shutdown();
