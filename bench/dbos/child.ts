/**
 * One process of the DBOS bench (DBOS is a process singleton: one executor per process).
 * `node --conditions=@stepwise/source --import tsx dbos/child.ts <role> <databaseUrl> [...]`
 *
 * - `shapes-stepwise`, `shapes-raw`: the 200-step chain and the fan-out of 200 (+ fan-in), on
 *   `DbosRuntime` or as a raw DBOS workflow of DBOS steps; prints one JSON line of timings
 *   and query counts.
 * - `worker <id> <pollMs>`: a `DbosRuntime` worker serving the small queued workflow until killed.
 * - `driver <runs> <rounds>`: `worker: false`; starts `runs` small runs, awaits them, `rounds` times.
 */
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { Event, StartEvent, StopEvent, Workflow } from "@stepwise/core";
import { DbosRuntime } from "@stepwise/dbos";
import { z } from "zod";

const [role = "", url = "", ...rest] = process.argv.slice(2);
const STEPS = 200;

// --- counting round trips: every `query` of every copy of pg this process loaded -----------

interface Counter {
  total: number;
  byText: Map<string, number>;
  paused: boolean;
}
const counter: Counter = { total: 0, byText: new Map(), paused: false };

/** Wraps `Client.prototype.query` of the pg copies that DBOS and stepwise use. */
function countQueries(): string[] {
  const wrapped: string[] = [];
  const seen = new Set<unknown>();
  const from = [
    import.meta.resolve("@dbos-inc/dbos-sdk"),
    import.meta.resolve("@stepwise/dbos"),
    import.meta.url,
  ];
  for (const base of from) {
    const require = createRequire(base);
    let path: string;
    try {
      path = require.resolve("pg");
    } catch {
      continue;
    }
    const pg = require("pg") as {
      Client: { prototype: { query: (...args: unknown[]) => unknown } };
    };
    const proto = pg.Client.prototype;
    if (seen.has(proto)) continue;
    seen.add(proto);
    wrapped.push(path);
    const original = proto.query;
    proto.query = function (this: unknown, ...args: unknown[]) {
      if (!counter.paused) {
        counter.total++;
        const first = args[0] as string | { text?: string } | undefined;
        const text = typeof first === "string" ? first : (first?.text ?? "?");
        const key = text.replace(/\s+/g, " ").trim().slice(0, 70);
        counter.byText.set(key, (counter.byText.get(key) ?? 0) + 1);
      }
      return original.apply(this, args);
    };
  }
  return wrapped;
}

/** Commits on the bench database (pg_stat_database; flushed by backends up to ~10 s late). */
async function xactCommits(): Promise<number> {
  const { default: pg } = await import("pg");
  counter.paused = true;
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const found = await client.query<{ n: string }>(
      "SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = current_database()",
    );
    return Number(found.rows[0]?.n ?? 0);
  } finally {
    await client.end();
    counter.paused = false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

interface ShapeResult {
  shape: string;
  ms: number[];
  queries: number[];
  commits: number | null;
  reps: number;
  topQueries: [string, number][];
}

/** Warm-up, then `reps` timed runs of `once`, counting queries per run; commits over all reps. */
async function measure(
  shape: string,
  once: () => Promise<unknown>,
  warmup: number,
  reps: number,
): Promise<ShapeResult> {
  for (let i = 0; i < warmup; i++) await once();
  await sleep(Number(process.env.FLUSH_MS ?? 11_000)); // let the backends flush their stats of the warm-up
  const before = await xactCommits();
  const ms: number[] = [];
  const queries: number[] = [];
  let top: [string, number][] = [];
  for (let i = 0; i < reps; i++) {
    counter.total = 0;
    counter.byText.clear();
    const t0 = performance.now();
    await once();
    ms.push(performance.now() - t0);
    queries.push(counter.total);
    if (i === 0) top = [...counter.byText.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
  }
  await sleep(Number(process.env.FLUSH_MS ?? 11_000));
  const after = await xactCommits();
  return { shape, ms, queries, commits: (after - before) / reps, reps, topQueries: top };
}

/** Queries per second with nothing running (pollers, sweeper, heartbeats). */
async function idleRate(ms = 3000): Promise<number> {
  counter.total = 0;
  await sleep(ms);
  return (counter.total * 1000) / ms;
}

// --- stepwise ------------------------------------------------------------------------------

class Count extends Event.define({ n: z.number() }) {}
class Item extends Event.define({ i: z.number() }) {}
class Done extends Event.define({ v: z.number() }) {}

/** A chain of exactly `n` step invocations: one step re-emitting `Count` until n. */
function chainFlow(runtime: DbosRuntime, n: number, name = "Chain") {
  return new Workflow({ runtime, name, timeout: null }).addStep(
    "hop",
    { accepts: [StartEvent, Count], emits: [Count, StopEvent] },
    (ev) => {
      const k = ev instanceof Count ? ev.n + 1 : 1;
      return k >= n ? new StopEvent({ result: k }) : new Count({ n: k });
    },
  );
}

/** A start step returning `n` events (fan-out), a worker step, a collector (fan-in). */
function fanFlow(runtime: DbosRuntime, n: number) {
  const expected = Array<typeof Done>(n).fill(Done);
  return new Workflow({ runtime, name: "Fan", timeout: null })
    .addStep("begin", { accepts: StartEvent, emits: Item, fanOut: true }, () =>
      Array.from({ length: n }, (_, i) => new Item({ i })),
    )
    .addStep(
      "work",
      { accepts: Item, emits: Done, numWorkers: n },
      (ev) => new Done({ v: ev.i * 2 }),
    )
    .addStep("collect", { accepts: Done, emits: StopEvent, numWorkers: 1 }, (ev, ctx) => {
      const all = ctx.collectEvents(ev, expected);
      return all === null
        ? null
        : new StopEvent({ result: all.reduce((sum, d) => sum + (d as Done).v, 0) });
    });
}

const FAN_SUM = STEPS * (STEPS - 1); // sum of 2i for i < n

function check(what: string, got: unknown, want: unknown): void {
  if (got !== want) throw new Error(`${what}: got ${String(got)}, expected ${String(want)}`);
}

async function shapesStepwise(warmup: number, reps: number) {
  const wrapped = countQueries();
  const runtime = new DbosRuntime({
    databaseUrl: url,
    executorId: "shapes",
    idleTimeoutMs: 60_000,
  });
  const chain = chainFlow(runtime, STEPS);
  const fan = fanFlow(runtime, STEPS);
  await runtime.launch([chain, fan]);
  const idle = await idleRate();
  const results = [
    await measure("chain", async () => check("chain", await chain.run(), STEPS), warmup, reps),
    await measure("fan-out", async () => check("fan", await fan.run(), FAN_SUM), warmup, reps),
  ];
  await runtime.shutdown();
  return { system: "stepwise", wrapped, idleQueriesPerSec: idle, results };
}

// --- raw DBOS ------------------------------------------------------------------------------

async function shapesRaw(warmup: number, reps: number) {
  const wrapped = countQueries();
  const { DBOS } = await import("@dbos-inc/dbos-sdk");
  DBOS.setConfig({
    name: "raw-bench",
    systemDatabaseUrl: url,
    executorID: "raw",
    logLevel: "warn",
  });
  const hop = DBOS.registerStep(async (n: number) => n + 1, { name: "hop" });
  const work = DBOS.registerStep(async (i: number) => i * 2, { name: "work" });
  const chain = DBOS.registerWorkflow(
    async (n: number) => {
      let k = 0;
      for (let i = 0; i < n; i++) k = await hop(k);
      return k;
    },
    { name: "rawChain" },
  );
  const fan = DBOS.registerWorkflow(
    async (n: number) => {
      const all = await Promise.all(Array.from({ length: n }, (_, i) => work(i)));
      return all.reduce((sum, v) => sum + v, 0);
    },
    { name: "rawFan" },
  );
  await DBOS.launch();
  const idle = await idleRate();
  const results = [
    await measure("chain", async () => check("raw chain", await chain(STEPS), STEPS), warmup, reps),
    await measure("fan-out", async () => check("raw fan", await fan(STEPS), FAN_SUM), warmup, reps),
  ];
  await DBOS.shutdown();
  return { system: "raw DBOS", wrapped, idleQueriesPerSec: idle, results };
}

// --- many workers --------------------------------------------------------------------------

const SMALL_STEPS = 3;

function smallFlow(runtime: DbosRuntime) {
  return new Workflow({ runtime, name: "Small", timeout: null, numConcurrentRuns: 50 }).addStep(
    "hop",
    { accepts: [StartEvent, Count], emits: [Count, StopEvent] },
    (ev) => {
      const k = ev instanceof Count ? ev.n + 1 : 1;
      return k >= SMALL_STEPS ? new StopEvent({ result: k }) : new Count({ n: k });
    },
  );
}

async function worker(id: string, pollMs: number) {
  const runtime = new DbosRuntime({ databaseUrl: url, executorId: id, pollMs });
  const wf = smallFlow(runtime);
  await runtime.launch([wf]);
  process.send?.({ ready: id });
  process.on("message", async (message: { stop?: boolean }) => {
    if (!message.stop) return;
    await runtime.shutdown();
    process.exit(0);
  });
}

async function driver(runs: number, rounds: number) {
  const runtime = new DbosRuntime({ databaseUrl: url, executorId: "driver", worker: false });
  const wf = smallFlow(runtime);
  await runtime.launch([]);
  const failures: string[] = [];
  const once = async (count: number) => {
    const t0 = performance.now();
    const settled = await Promise.allSettled(Array.from({ length: count }, () => wf.run()));
    const ms = performance.now() - t0;
    let ok = 0;
    for (const r of settled) {
      if (r.status === "fulfilled" && r.value === SMALL_STEPS) ok++;
      else if (r.status === "rejected") failures.push(String((r.reason as Error).message));
    }
    return { ms, ok };
  };
  await once(Math.min(60, runs)); // warm-up
  const ms: number[] = [];
  const rates: number[] = [];
  const failed: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const round = await once(runs);
    ms.push(round.ms);
    rates.push((round.ok * 1000) / round.ms);
    failed.push(runs - round.ok);
  }
  const reasons = [...new Set(failures)].slice(0, 3);
  await runtime.shutdown();
  return { runs, ms, rates, failed, reasons, median: median(rates) };
}

// --- main ----------------------------------------------------------------------------------

const print = (value: unknown) => process.stdout.write(`@@${JSON.stringify(value)}\n`);

if (role === "shapes-stepwise") print(await shapesStepwise(Number(rest[0]), Number(rest[1])));
else if (role === "shapes-raw") print(await shapesRaw(Number(rest[0]), Number(rest[1])));
else if (role === "worker") await worker(rest[0] as string, Number(rest[1]));
else if (role === "driver") print(await driver(Number(rest[0]), Number(rest[1])));
else throw new Error(`unknown role ${role}`);
if (role !== "worker") process.exit(0);
