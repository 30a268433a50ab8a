import { type BenchSystem, expectEqual } from "./types.js";

// The floor: the same shapes written as plain async functions, no engine at all. Every hop and
// every worker call is an `await` of an async function, as a step invocation would be.

async function hop(n: number): Promise<number> {
  return n + 1;
}

async function work(i: number): Promise<number> {
  return i * 2;
}

async function tiny(): Promise<number> {
  return 1;
}

/** Plain async functions: the lower bound any engine is measured against. */
export const floor: BenchSystem = {
  id: "floor",
  label: "plain async",
  async chain(n) {
    return async () => {
      let count = 0;
      while (count < n) count = await hop(count);
      expectEqual("floor", "chain", count, n);
    };
  },
  async fanOut(n) {
    return async () => {
      const pending: Promise<number>[] = [];
      for (let i = 0; i < n; i++) pending.push(work(i));
      const results = await Promise.all(pending);
      expectEqual("floor", "fan-out", results.length, n);
    };
  },
  async tinyRun() {
    return async () => {
      expectEqual("floor", "tiny run", await tiny(), 1);
    };
  },
};
