/**
 * The DBOS bench (issue 13 item 7): stepwise on `DbosRuntime` beside raw DBOS on one Postgres.
 * `npm run dbos --prefix bench` (env: `STEPWISE_BENCH_PG`, default the local server).
 * Prints a table and writes bench/dbos/results.md. Each system runs in a process of its own
 * (DBOS is a process singleton), on a database of its own that is dropped afterwards.
 */
import { type ChildProcess, fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import pg from "pg";

const ADMIN = process.env.STEPWISE_BENCH_PG ?? "postgres://postgres@127.0.0.1:5432/postgres";
const WARMUP = Number(process.env.WARMUP ?? 2);
const REPS = Number(process.env.REPS ?? 7);
const RUNS = Number(process.env.RUNS ?? 300);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const POLL_MS = Number(process.env.POLL_MS ?? 50);
const STEPS = 200;
const child = fileURLToPath(new URL("./child.ts", import.meta.url));
const made: string[] = [];

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function freshDatabase(tag: string): Promise<string> {
  const name = `stepwise_bench_${process.pid}_${tag}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  made.push(name);
  const url = new URL(ADMIN);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropAll(): Promise<void> {
  await admin(async (c) => {
    for (const name of made) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}

function start(args: string[]): ChildProcess {
  return fork(child, args, {
    execArgv: process.execArgv,
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
}

/** Runs a child to its end and returns the JSON line it printed. */
function result<T>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const proc = start(args);
    let out = "";
    proc.stdout?.on("data", (chunk) => {
      out += String(chunk);
    });
    proc.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("@@"));
      if (code === 0 && line) resolve(JSON.parse(line.slice(2)) as T);
      else reject(new Error(`child ${args[0]} exited ${code}: ${out.slice(-2000)}`));
    });
  });
}

interface Shape {
  shape: string;
  ms: number[];
  queries: number[];
  commits: number | null;
  topQueries: [string, number][];
}
interface Shapes {
  system: string;
  wrapped: string[];
  idleQueriesPerSec: number;
  results: Shape[];
}
interface Driven {
  runs: number;
  ms: number[];
  rates: number[];
  failed: number[];
  reasons: string[];
  median: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const f = (x: number, d = 2) => x.toFixed(d);

async function workers(n: number): Promise<Driven> {
  const url = await freshDatabase(`w${n}`);
  const procs: ChildProcess[] = [];
  try {
    for (let i = 1; i <= n; i++) {
      const proc = start(["worker", url, `w${i}`, String(POLL_MS)]);
      procs.push(proc);
      await new Promise<void>((resolve, reject) => {
        proc.once("message", () => resolve());
        proc.once("exit", (code) => reject(new Error(`worker w${i} exited ${code}`)));
      });
    }
    return await result<Driven>(["driver", url, String(RUNS), String(ROUNDS)]);
  } finally {
    await Promise.all(
      procs.map(
        (proc) =>
          new Promise<void>((resolve) => {
            if (proc.exitCode !== null) return resolve();
            proc.once("exit", () => resolve());
            proc.send({ stop: true });
            setTimeout(() => proc.kill("SIGKILL"), 10_000).unref();
          }),
      ),
    );
  }
}

async function main(): Promise<void> {
  const preload = await admin(async (c) => {
    const shown = await c.query<{ v: string }>("SHOW shared_preload_libraries");
    const version = await c.query<{ v: string }>("SELECT version() AS v");
    return { libs: shown.rows[0]?.v ?? "", version: version.rows[0]?.v ?? "" };
  });
  const statStatements = preload.libs.includes("pg_stat_statements");
  console.error(
    `dbos bench: warm-up ${WARMUP}, ${REPS} reps, ${RUNS} runs x ${ROUNDS} rounds, pollMs ${POLL_MS}`,
  );
  const stepwise = await result<Shapes>([
    "shapes-stepwise",
    await freshDatabase("sw"),
    String(WARMUP),
    String(REPS),
  ]);
  console.error("dbos bench: stepwise shapes done");
  const raw = await result<Shapes>([
    "shapes-raw",
    await freshDatabase("raw"),
    String(WARMUP),
    String(REPS),
  ]);
  console.error("dbos bench: raw DBOS shapes done");
  const scaling: { n: number; driven: Driven }[] = [];
  for (const n of [1, 2, 3]) {
    scaling.push({ n, driven: await workers(n) });
    console.error(`dbos bench: ${n} worker(s) done`);
  }

  const lines: string[] = [];
  lines.push("# DBOS bench: stepwise on DbosRuntime vs raw DBOS", "");
  lines.push(
    `One run of \`npm run dbos --prefix bench\`, ${new Date().toISOString()}; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), Node ${process.version}, ${preload.version.split(",")[0]}, @dbos-inc/dbos-sdk 5.3.0, pg 8.16.3. Shared, noisy machine: medians.`,
    "",
    `Per shape: ${WARMUP} warm-up runs, then ${REPS} timed runs; per-step time = median run time / ${STEPS}. The chain is ${STEPS} step invocations in a row; the fan-out is one step returning ${STEPS} events (stepwise: \`fanOut: true\`, a worker step with \`numWorkers: ${STEPS}\`, a collector with \`collectEvents\`) and, in raw DBOS, \`Promise.all\` of ${STEPS} registered steps summed in the workflow body. Per step = per fanned-out item.`,
    "",
    "## Per-step time and round trips",
    "",
    "| shape | system | run ms (median) | ms / step | ratio stepwise / raw | queries / run | queries / step | commits / step |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
  );
  for (const shape of ["chain", "fan-out"]) {
    const s = stepwise.results.find((r) => r.shape === shape) as Shape;
    const r = raw.results.find((x) => x.shape === shape) as Shape;
    const ratio = median(s.ms) / median(r.ms);
    for (const [sys, x] of [
      ["stepwise (DbosRuntime)", s],
      ["raw DBOS", r],
    ] as const) {
      lines.push(
        `| ${shape} | ${sys} | ${f(median(x.ms), 1)} | ${f(median(x.ms) / STEPS, 3)} | ${x === s ? f(ratio) : ""} | ${median(x.queries)} | ${f(median(x.queries) / STEPS)} | ${x.commits === null ? "?" : f(x.commits / STEPS)} |`,
      );
    }
  }
  lines.push(
    "",
    `Round trips: ${statStatements ? "pg_stat_statements is loaded, but" : "pg_stat_statements is not in `shared_preload_libraries` on this server (it cannot be created without a restart), so"} queries are counted by wrapping \`Client.prototype.query\` of every copy of pg the process loads (${stepwise.wrapped.length} copies: DBOS's and stepwise's), one call = one round trip; "commits / step" is the \`xact_commit\` delta of the bench's own database in \`pg_stat_database\` over the timed runs (read 11 s after, when backends have flushed their stats), divided by runs and steps: it includes every process's background transactions.`,
    `Background with nothing running (queue pollers, sweeper, heartbeat): stepwise process ${f(stepwise.idleQueriesPerSec, 1)} queries/s, raw DBOS process ${f(raw.idleQueriesPerSec, 1)} queries/s; they are inside the per-run counts above.`,
    "",
    "Statements of one run (first timed run), most frequent first:",
    "",
  );
  for (const sys of [stepwise, raw]) {
    for (const x of sys.results) {
      lines.push(`- ${sys.system}, ${x.shape}:`);
      for (const [text, count] of x.topQueries) lines.push(`  - ${count} × \`${text}\``);
    }
  }
  lines.push(
    "",
    "## Runs per second over worker processes",
    "",
    `A driver process (\`worker: false\`) starts ${RUNS} runs of a ${3}-step chain (\`numConcurrentRuns: 50\`, so every run goes through the DBOS queue \`stepwise.Small\`, \`pollMs: ${POLL_MS}\`) and awaits them all; ${ROUNDS} rounds after a warm-up of 60 runs; N worker processes (\`DbosRuntime\`, executor ids w1..wN) on a fresh database.`,
    "",
    "| workers | runs/s (median) | rounds (runs/s, completed runs only) | runs failed per round |",
    "|---:|---:|---|---|",
  );
  for (const { n, driven } of scaling) {
    lines.push(
      `| ${n} | ${f(driven.median, 1)} | ${driven.rates.map((r) => f(r, 1)).join(", ")} | ${driven.failed.join(", ")}${driven.reasons.length ? ` (${driven.reasons.join("; ")})` : ""} |`,
    );
  }
  lines.push("");
  const text = lines.join("\n");
  writeFileSync(new URL("./results.md", import.meta.url), text);
  console.log(text);
}

try {
  await main();
} finally {
  await dropAll();
}
