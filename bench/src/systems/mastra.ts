import { createStep, createWorkflow } from "@mastra/core/workflows";
import { z } from "zod";
import { type BenchSystem, expectEqual } from "./types.js";

// @mastra/core 1.71.0 workflows. Workflows are built and committed once, outside the timed
// region, with no Mastra instance (so no storage, no observability exporters); each run is
// `createRun()` + `run.start()`. Steps declare zod input/output schemas, which Mastra validates
// on every step, as stepwise validates event fields.

const Count = z.object({ n: z.number() });

/** Mastra: a builder of step graphs (`then`, `dountil`, `foreach`, `parallel`). */
export const mastra: BenchSystem = {
  id: "mastra",
  label: "mastra 1.71.0",
  async chain(n) {
    // Mastra's loop construct: `dountil(step, condition)`; each iteration is one step run.
    const inc = createStep({
      id: "inc",
      inputSchema: Count,
      outputSchema: Count,
      execute: async ({ inputData }) => ({ n: inputData.n + 1 }),
    });
    const wf = createWorkflow({ id: `chain-${n}`, inputSchema: Count, outputSchema: Count })
      .dountil(inc, async ({ inputData }) => inputData.n >= n)
      .commit();
    return async () => {
      const run = await wf.createRun();
      const out = await run.start({ inputData: { n: 0 } });
      if (out.status !== "success") throw new Error(`mastra chain ended with ${out.status}`);
      expectEqual("mastra", "chain", out.result.n, n);
    };
  },
  async fanOut(n) {
    // Mastra has no event fan-out; its idiom is a step that returns a list followed by
    // `foreach(worker, { concurrency })`, whose outputs arrive as one array at the next step.
    const items = createStep({
      id: "items",
      inputSchema: Count,
      outputSchema: z.array(z.object({ i: z.number() })),
      execute: async ({ inputData }) => Array.from({ length: inputData.n }, (_, i) => ({ i })),
    });
    const worker = createStep({
      id: "worker",
      inputSchema: z.object({ i: z.number() }),
      outputSchema: z.object({ v: z.number() }),
      execute: async ({ inputData }) => ({ v: inputData.i * 2 }),
    });
    const collect = createStep({
      id: "collect",
      inputSchema: z.array(z.object({ v: z.number() })),
      outputSchema: Count,
      execute: async ({ inputData }) => ({ n: inputData.length }),
    });
    const wf = createWorkflow({ id: `fan-${n}`, inputSchema: Count, outputSchema: Count })
      .then(items)
      .foreach(worker, { concurrency: 8 })
      .then(collect)
      .commit();
    return async () => {
      const run = await wf.createRun();
      const out = await run.start({ inputData: { n } });
      if (out.status !== "success") throw new Error(`mastra fan-out ended with ${out.status}`);
      expectEqual("mastra", "fan-out", out.result.n, n);
    };
  },
  async tinyRun() {
    const only = createStep({
      id: "only",
      inputSchema: Count,
      outputSchema: Count,
      execute: async () => ({ n: 1 }),
    });
    const wf = createWorkflow({ id: "tiny", inputSchema: Count, outputSchema: Count })
      .then(only)
      .commit();
    return async () => {
      const run = await wf.createRun();
      const out = await run.start({ inputData: { n: 0 } });
      if (out.status !== "success") throw new Error(`mastra tiny run ended with ${out.status}`);
      expectEqual("mastra", "tiny run", out.result.n, 1);
    };
  },
};
