import type { BenchSystem } from "./types.js";

/** A system the bench knows: how to load its adapter, and whether it is a peer of stepwise. */
interface SystemEntry {
  readonly load: () => Promise<BenchSystem>;
  /**
   * A peer is another workflow engine, measured against stepwise in the ratio column and the
   * "≥ 20× the fastest peer" targets. The floor and stepwise's own runtimes are not peers.
   */
  readonly peer: boolean;
}

// Each system is imported only by the child that measures it, so no engine's modules share a
// heap or JIT state with another's.
const systems = {
  floor: { peer: false, load: async () => (await import("./floor.js")).floor },
  stepwise: { peer: false, load: async () => (await import("./stepwise.js")).stepwise },
  "stepwise-sqlite": {
    peer: false,
    load: async () => (await import("./stepwise-sqlite.js")).stepwiseSqlite,
  },
  "stepwise-sqlite-normal": {
    peer: false,
    load: async () => (await import("./stepwise-sqlite.js")).stepwiseSqliteNormal,
  },
  llamaindex: { peer: true, load: async () => (await import("./llamaindex.js")).llamaindex },
  langgraph: { peer: true, load: async () => (await import("./langgraph.js")).langgraph },
  mastra: { peer: true, load: async () => (await import("./mastra.js")).mastra },
} satisfies Record<string, SystemEntry>;

const entries: Readonly<Record<string, SystemEntry>> = systems;

/** Every system id, in table order: the floor, stepwise (in memory, then on SQLite), then the peers. */
export const systemIds: readonly string[] = Object.keys(systems);

/** Whether a system is a peer engine (false for the floor, stepwise and unknown ids). */
export function isPeer(id: string): boolean {
  return entries[id]?.peer ?? false;
}

/** The peers, in table order. */
export const peerIds: readonly string[] = systemIds.filter(isPeer);

/** Imports one system's adapter. */
export async function loadSystem(id: string): Promise<BenchSystem> {
  const entry = entries[id];
  if (!entry) throw new Error(`unknown system \`${id}\`; known systems: ${systemIds.join(", ")}`);
  return entry.load();
}
