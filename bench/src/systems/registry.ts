import type { BenchSystem } from "./types.js";

// Each system is imported only by the child that measures it, so no engine's modules share a
// heap or JIT state with another's.
const loaders = {
  floor: async () => (await import("./floor.js")).floor,
  stepwise: async () => (await import("./stepwise.js")).stepwise,
  "stepwise-sqlite": async () => (await import("./stepwise-sqlite.js")).stepwiseSqlite,
  "stepwise-sqlite-normal": async () => (await import("./stepwise-sqlite.js")).stepwiseSqliteNormal,
  llamaindex: async () => (await import("./llamaindex.js")).llamaindex,
  langgraph: async () => (await import("./langgraph.js")).langgraph,
  mastra: async () => (await import("./mastra.js")).mastra,
} satisfies Record<string, () => Promise<BenchSystem>>;

/** Every system id, in table order: the floor, stepwise (in memory, then on SQLite), then the peers. */
export const systemIds: readonly string[] = Object.keys(loaders);

/** The peers (everything but the floor and stepwise). */
export const peerIds: readonly string[] = ["llamaindex", "langgraph", "mastra"];

/** Imports one system's adapter. */
export async function loadSystem(id: string): Promise<BenchSystem> {
  const load = (loaders as Record<string, () => Promise<BenchSystem>>)[id];
  if (!load) throw new Error(`unknown system \`${id}\`; known systems: ${systemIds.join(", ")}`);
  return load();
}
