import { Annotation, END, Send, START, StateGraph } from "@langchain/langgraph";
import { type BenchSystem, expectEqual } from "./types.js";

// @langchain/langgraph 1.7.3 with @langchain/core 1.4.0. Graphs are compiled once, outside the
// timed region, without a checkpointer (nothing is persisted); each run is `graph.invoke()`.
// Nodes are async functions returning state updates.

const ChainState = Annotation.Root({ n: Annotation<number> });

const FanState = Annotation.Root({
  n: Annotation<number>,
  // Fan-in: every worker adds 1 through this reducer; the collector reads the total.
  done: Annotation<number>({ reducer: (a, b) => a + b, default: () => 0 }),
  total: Annotation<number>,
});

const TinyState = Annotation.Root({ result: Annotation<number> });

/** LangGraph: a Pregel-style graph of nodes over shared state. */
export const langgraph: BenchSystem = {
  id: "langgraph",
  label: "langgraph 1.7.3",
  async chain(n) {
    // One node loops to itself through a conditional edge; each hop is one superstep.
    const graph = new StateGraph(ChainState)
      .addNode("hop", async (s: typeof ChainState.State) => ({ n: s.n + 1 }))
      .addEdge(START, "hop")
      .addConditionalEdges("hop", (s: typeof ChainState.State) => (s.n >= n ? END : "hop"))
      .compile();
    return async () => {
      const out = await graph.invoke({ n: 0 }, { recursionLimit: n + 10 });
      expectEqual("langgraph", "chain", out.n, n);
    };
  },
  async fanOut(n) {
    // Dynamic fan-out with `Send`: the start node's conditional edge returns one Send per item;
    // all workers run in one superstep, their updates meet in the `done` reducer, and the
    // collector node runs once after them.
    const graph = new StateGraph(FanState)
      .addNode("begin", async () => ({}))
      .addNode("worker", async (_item: { i: number }) => ({ done: 1 }))
      .addNode("collect", async (s: typeof FanState.State) => ({ total: s.done }))
      .addEdge(START, "begin")
      .addConditionalEdges("begin", (s: typeof FanState.State) =>
        Array.from({ length: s.n }, (_, i) => new Send("worker", { i })),
      )
      .addEdge("worker", "collect")
      .addEdge("collect", END)
      .compile();
    return async () => {
      const out = await graph.invoke({ n, done: 0 });
      expectEqual("langgraph", "fan-out", out.total, n);
    };
  },
  async tinyRun() {
    const graph = new StateGraph(TinyState)
      .addNode("only", async () => ({ result: 1 }))
      .addEdge(START, "only")
      .addEdge("only", END)
      .compile();
    return async () => {
      const out = await graph.invoke({ result: 0 });
      expectEqual("langgraph", "tiny run", out.result, 1);
    };
  },
};
