import { createWorkflow, workflowEvent } from "@llamaindex/workflow-core";
import { type BenchSystem, expectEqual } from "./types.js";

// @llamaindex/workflow-core 1.3.4 (deprecated; the TypeScript sibling of LlamaIndex Workflows).
// Handlers are async functions, like stepwise steps; a run is a fresh context, started with
// `sendEvent(start)` and awaited with `stream.untilEvent(stop)`, the package's own idiom.

/** @llamaindex/workflow-core: handlers keyed by event, runs are contexts. */
export const llamaindex: BenchSystem = {
  id: "llamaindex",
  label: "llamaindex 1.3.4",
  async chain(n) {
    const start = workflowEvent<void>();
    const count = workflowEvent<number>();
    const stop = workflowEvent<number>();
    const wf = createWorkflow();
    wf.handle([start], async () => count.with(1));
    wf.handle([count], async (_ctx, ev) =>
      ev.data >= n ? stop.with(ev.data) : count.with(ev.data + 1),
    );
    return async () => {
      const { stream, sendEvent } = wf.createContext();
      sendEvent(start.with());
      const result = await stream.untilEvent(stop);
      expectEqual("llamaindex", "chain", result.data, n);
    };
  },
  async fanOut(n) {
    const start = workflowEvent<void>();
    const item = workflowEvent<number>();
    const done = workflowEvent<number>();
    const stop = workflowEvent<number>();
    const wf = createWorkflow();
    // The package's fan-out idiom (README "Fan-out"): the start handler sends the items and
    // collects the results from its own stream. There is no worker limit: every item's handler
    // starts at once.
    wf.handle([start], async (ctx) => {
      const results = ctx.stream.filter(done).take(n).toArray();
      for (let i = 0; i < n; i++) ctx.sendEvent(item.with(i));
      return stop.with((await results).length);
    });
    wf.handle([item], async (_ctx, ev) => done.with(ev.data * 2));
    return async () => {
      const { stream, sendEvent } = wf.createContext();
      sendEvent(start.with());
      const result = await stream.untilEvent(stop);
      expectEqual("llamaindex", "fan-out", result.data, n);
    };
  },
  async tinyRun() {
    const start = workflowEvent<void>();
    const stop = workflowEvent<number>();
    const wf = createWorkflow();
    wf.handle([start], async () => stop.with(1));
    return async () => {
      const { stream, sendEvent } = wf.createContext();
      sendEvent(start.with());
      const result = await stream.untilEvent(stop);
      expectEqual("llamaindex", "tiny run", result.data, 1);
    };
  },
};
