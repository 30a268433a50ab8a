/**
 * Load on a stepwise server over HTTP on 127.0.0.1: concurrent `@stepwise/client`s starting runs
 * with `run-nowait`, streaming each run's events (SSE) and fetching its handler, then
 * run-and-wait requests, then many subscribers on one run; on the in-memory store and on the
 * SQLite store. Every result is checked. Prints requests/s, runs/s and latency percentiles, and
 * the server's memory after each phase.
 *
 *   node --import tsx server-load/main.ts [--clients=50] [--runs=1000] [--warmup=200] [--store=memory,sqlite]
 *     [--subscribers=200] [--events=1000] [--waiting=10000] [--sync=full|normal] [--json=FILE]
 *
 * Bounded: a fixed number of runs per phase, and a deadline for the whole script.
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { type HandlerData, WorkflowClient } from "@stepwise/client";
import type { ServerReport } from "./server.js";
import { GoEvent, ProgressEvent } from "./workflows.js";

interface Options {
  clients: number;
  runs: number;
  /** Untimed runs before each timed phase (JIT warm-up). */
  warmup: number;
  stores: string[];
  subscribers: number;
  /** Runs left waiting for an answer in the idle phase (SQLite store only). */
  waiting: number;
  events: number;
  sync: "full" | "normal";
  json: string | null;
}

function parseOptions(argv: readonly string[]): Options {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z]+)=(.*)$/.exec(arg);
    if (!match) throw new Error(`unknown argument \`${arg}\`; flags look like --clients=50`);
    flags.set(match[1] as string, match[2] as string);
  }
  const int = (name: string, fallback: number) => {
    const value = Number(flags.get(name) ?? fallback);
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`--${name} must be a positive integer; got ${flags.get(name)}`);
    }
    return value;
  };
  const stores = (flags.get("store") ?? "memory,sqlite").split(",");
  for (const store of stores) {
    if (store !== "memory" && store !== "sqlite") {
      throw new Error(`--store takes memory and/or sqlite; got \`${store}\``);
    }
  }
  return {
    clients: int("clients", 50),
    runs: int("runs", 1000),
    warmup: int("warmup", 200),
    stores,
    subscribers: int("subscribers", 200),
    waiting: int("waiting", 10_000),
    events: int("events", 1000),
    sync: flags.get("sync") === "normal" ? "normal" : "full",
    json: flags.get("json") ?? null,
  };
}

/** A server in a child process. */
interface ChildServer {
  url: string;
  stats(): Promise<ServerReport>;
  close(): Promise<void>;
}

async function startServer(
  store: string,
  path: string,
  sync: string,
  idleSeconds = "",
): Promise<ChildServer> {
  const args = [store, path, sync, idleSeconds];
  const child = fork(new URL("./server.ts", import.meta.url).pathname, args, {
    execArgv: ["--expose-gc", "--import", "tsx"],
    env: { ...process.env, NODE_ENV: "production" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = <T>(key: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (message: Record<string, unknown>) => {
        if (!(key in message)) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(message[key] as T);
      };
      const onExit = (code: number | null) => reject(new Error(`the server exited (${code})`));
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  const url = await next<string>("url");
  return {
    url,
    stats: () => {
      const answer = next<ServerReport>("stats");
      child.send("stats");
      return answer;
    },
    close: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.send("close");
      }),
  };
}

/** Latencies of one kind of request, in milliseconds. */
class Samples {
  readonly #values: number[] = [];

  add(ms: number): void {
    this.#values.push(ms);
  }

  get count(): number {
    return this.#values.length;
  }

  percentile(p: number): number {
    const sorted = [...this.#values].sort((a, b) => a - b);
    if (sorted.length === 0) return Number.NaN;
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
  }
}

async function timed<T>(samples: Samples, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const value = await work();
  samples.add(performance.now() - start);
  return value;
}

/** Runs `runs` jobs on `clients` workers; each worker takes the next job number when it is free. */
async function onClients(
  clients: number,
  runs: number,
  job: (index: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < runs) await job(next++);
    }),
  );
  return (performance.now() - start) / 1000;
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(`wrong result: ${message}`);
}

interface PhaseResult {
  phase: string;
  store: string;
  seconds: number;
  requests: number;
  runs: number;
  latency: Record<string, { count: number; p50: number; p99: number }>;
  server: ServerReport;
}

function summary(latency: Record<string, Samples>): PhaseResult["latency"] {
  return Object.fromEntries(
    Object.entries(latency).map(([name, samples]) => [
      name,
      { count: samples.count, p50: samples.percentile(50), p99: samples.percentile(99) },
    ]),
  );
}

type StreamKey = "run-nowait" | "stream (to StopEvent)" | "GET /handlers/{id}" | "whole run";

function streamSamples(): Record<StreamKey, Samples> {
  return {
    "run-nowait": new Samples(),
    "stream (to StopEvent)": new Samples(),
    "GET /handlers/{id}": new Samples(),
    "whole run": new Samples(),
  };
}

/** run-nowait, then the run's whole SSE stream, then `GET /handlers/{id}`; per run. */
async function streamPhase(server: ChildServer, options: Options, store: string) {
  const client = new WorkflowClient({ baseUrl: server.url, events: [ProgressEvent] });
  const job = async (n: number, latency: Record<StreamKey, Samples>) => {
    const start = performance.now();
    const started = await timed(latency["run-nowait"], () =>
      client.runNowait("stream", { n, events: 3 }),
    );
    const events = await timed(latency["stream (to StopEvent)"], async () => {
      const seen = [];
      for await (const ev of client.streamEvents(started.handler_id)) seen.push(ev);
      return seen;
    });
    const done: HandlerData = await timed(latency["GET /handlers/{id}"], () =>
      client.handler(started.handler_id),
    );
    latency["whole run"].add(performance.now() - start);
    expect(
      events.map((ev) => ev.type).join() === "ProgressEvent,ProgressEvent,ProgressEvent,StopEvent",
      `run ${n} streamed ${events.map((ev) => ev.type).join()}`,
    );
    expect(
      events.slice(0, 3).every((ev, i) => (ev.event as ProgressEvent)?.i === i),
      "order",
    );
    expect(done.status === "completed", `run ${n} is ${done.status}`);
    expect((done.result?.value as { result?: number })?.result === n * 2, `result of run ${n}`);
  };
  await onClients(options.clients, options.warmup, (n) => job(n, streamSamples()));
  const latency = streamSamples();
  const seconds = await onClients(options.clients, options.runs, (n) => job(n, latency));
  return result(
    "run-nowait + stream + handler",
    store,
    seconds,
    options.runs * 3,
    options.runs,
    latency,
    server,
  );
}

/** `POST /workflows/tiny/run` (run and wait). */
async function runAndWaitPhase(server: ChildServer, options: Options, store: string) {
  const client = new WorkflowClient({ baseUrl: server.url });
  const job = async (n: number, samples: Samples) => {
    const done = await timed(samples, () => client.run("tiny", { n }));
    expect(done.status === "completed", `run ${n} is ${done.status}`);
    expect((done.result?.value as { result?: number })?.result === n * 2, `result of run ${n}`);
  };
  await onClients(options.clients, options.warmup, (n) => job(n, new Samples()));
  const latency = { "POST /run (wait)": new Samples() };
  const seconds = await onClients(options.clients, options.runs, (n) =>
    job(n, latency["POST /run (wait)"]),
  );
  return result("run and wait", store, seconds, options.runs, options.runs, latency, server);
}

/** `subscribers` SSE streams on one run (not warmed up: it is one run) that then publishes `events` events. */
async function fanOutPhase(server: ChildServer, options: Options, store: string) {
  const client = new WorkflowClient({ baseUrl: server.url, reconnect: { attempts: 0 } });
  const latency = { "stream (to StopEvent)": new Samples() };
  const start = performance.now();
  const { handler_id: id } = await client.runNowait("fanout");
  let ready = 0;
  let go!: () => void;
  const allReady = new Promise<void>((resolve) => {
    go = resolve;
  });
  const streams = Array.from({ length: options.subscribers }, () =>
    timed(latency["stream (to StopEvent)"], async () => {
      const seqs: number[] = [];
      let counted = false;
      for await (const ev of client.streamEvents(id)) {
        seqs.push(ev.seq);
        if (ev.type === "ReadyEvent" && !counted) {
          counted = true;
          if (++ready === options.subscribers) go();
        }
      }
      return seqs;
    }),
  );
  await allReady;
  await client.sendEvent(id, new GoEvent({ events: options.events }));
  const all = await Promise.all(streams);
  const seconds = (performance.now() - start) / 1000;
  const first = all[0] ?? [];
  // Ready, then every progress event, then the stop event: each once, in order.
  expect(first.length === options.events + 2, `a subscriber got ${first.length} events`);
  for (const seqs of all) {
    expect(seqs.join() === first.join(), "every subscriber gets the same events in order");
  }
  expect(
    first.every((seq, i) => i === 0 || seq > (first[i - 1] as number)),
    "sequence numbers increase",
  );
  const delivered = options.subscribers * first.length;
  return {
    ...(await result(
      `${options.subscribers} subscribers, one run of ${options.events} events`,
      store,
      seconds,
      options.subscribers + 2,
      1,
      latency,
      server,
    )),
    eventsDelivered: delivered,
  };
}

/** Starts `count` runs that stop at a question; resolves to their handler ids. */
async function startWaiting(
  client: WorkflowClient,
  options: Options,
  samples: Samples,
): Promise<string[]> {
  const ids: string[] = [];
  await onClients(options.clients, options.waiting, async () => {
    ids.push((await timed(samples, () => client.runNowait("fanout"))).handler_id);
  });
  return ids;
}

/**
 * `waiting` runs that stop at a question: first on a server that keeps them (its memory with all
 * of them in it), then on one that releases runs idle for 1 s (its memory once they are
 * released), where 100 of them are then answered (each rebuilt from the journal) and checked.
 */
async function idlePhase(options: Options, dir: string) {
  const latency = { "run-nowait": new Samples(), "answer a released run": new Samples() };
  const keeping = await startServer("sqlite", join(dir, "keep.db"), options.sync);
  let held: ServerReport;
  try {
    await startWaiting(new WorkflowClient({ baseUrl: keeping.url }), options, new Samples());
    held = await keeping.stats();
  } finally {
    await keeping.close();
  }
  const server = await startServer("sqlite", join(dir, "idle.db"), options.sync, "1");
  try {
    const client = new WorkflowClient({ baseUrl: server.url });
    const start = performance.now();
    const ids = await startWaiting(client, options, latency["run-nowait"]);
    const seconds = (performance.now() - start) / 1000;
    let released = await server.stats();
    for (let i = 0; i < 60 && (released.runtimeRuns ?? 0) > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      released = await server.stats();
    }
    const answered = ids.slice(0, 100);
    await onClients(10, answered.length, async (i) => {
      const id = answered[i] as string;
      await timed(latency["answer a released run"], () =>
        client.sendEvent(id, new GoEvent({ events: 3 })),
      );
      const events = [];
      for await (const ev of client.streamEvents(id)) events.push(ev.type);
      expect(
        events.join() === "ReadyEvent,ProgressEvent,ProgressEvent,ProgressEvent,StopEvent",
        `released run ${id} streamed ${events.join()}`,
      );
      const done = await client.handler(id);
      expect(done.status === "completed", `released run ${id} is ${done.status}`);
    });
    return {
      ...(await result(
        `${options.waiting} runs waiting for an answer: kept, then released after 1 s idle`,
        "sqlite",
        seconds,
        options.waiting,
        options.waiting,
        latency,
        server,
      )),
      held,
      released,
    };
  } finally {
    await server.close();
  }
}

async function result(
  phase: string,
  store: string,
  seconds: number,
  requests: number,
  runs: number,
  latency: Record<string, Samples>,
  server: ChildServer,
): Promise<PhaseResult> {
  return {
    phase,
    store,
    seconds,
    requests,
    runs,
    latency: summary(latency),
    server: await server.stats(),
  };
}

type Reported = PhaseResult & {
  eventsDelivered?: number;
  held?: ServerReport;
  released?: ServerReport;
};

function describeServer(s: ServerReport): string {
  const runtime = s.runtimeRuns === null ? "" : `, ${s.runtimeRuns} runs on the runtime`;
  return `rss ${s.rssMiB} MiB, heap ${s.heapUsedMiB} MiB (after GC), ${s.runsInMemory} runs in the server's memory${runtime}, ${s.waitingStreams} waiting streams`;
}

function print(results: readonly Reported[]): void {
  const f = (value: number, digits = 1) => value.toFixed(digits);
  for (const r of results) {
    console.log(`\n${r.phase} — ${r.store} store — ${f(r.seconds, 2)} s`);
    const rates = [`${f(r.requests / r.seconds, 0)} requests/s`];
    if (r.runs > 1) rates.push(`${f(r.runs / r.seconds, 0)} runs/s`);
    if (r.eventsDelivered) rates.push(`${f(r.eventsDelivered / r.seconds, 0)} events/s delivered`);
    console.log(`  ${rates.join(", ")}`);
    for (const [name, l] of Object.entries(r.latency)) {
      console.log(
        `  ${name.padEnd(24)} n=${String(l.count).padEnd(5)} p50 ${f(l.p50)} ms  p99 ${f(l.p99)} ms`,
      );
    }
    if (r.held) console.log(`  server keeping them: ${describeServer(r.held)}`);
    if (r.released) console.log(`  server releasing:    ${describeServer(r.released)}`);
    console.log(`  server after:        ${describeServer(r.server)}`);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const deadline = setTimeout(() => {
    console.error("server-load: gave up after 10 minutes");
    process.exit(1);
  }, 600_000);
  deadline.unref();
  console.log(
    `server-load: ${options.clients} clients, ${options.runs} runs per phase, node ${process.version}, ${availableParallelism()} × ${cpus()[0]?.model ?? "cpu"}`,
  );
  const results: Reported[] = [];
  for (const store of options.stores) {
    const dir = mkdtempSync(join(tmpdir(), "stepwise-server-load-"));
    try {
      // A fresh server per phase, so that each phase's memory figure is its own.
      for (const phase of [streamPhase, runAndWaitPhase, fanOutPhase]) {
        const server = await startServer(store, join(dir, `${phase.name}.db`), options.sync);
        try {
          results.push(await phase(server, options, store));
        } finally {
          await server.close();
        }
      }
      if (store === "sqlite") results.push(await idlePhase(options, dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  print(results);
  if (options.json)
    writeFileSync(options.json, `${JSON.stringify({ options, results }, null, 2)}\n`);
}

await main();
