/**
 * Corrupted snapshots: four base snapshots (mid-run, waiting for events, waiting to retry,
 * after the end) × 1,000 random mutations each (drop, duplicate or swap array items; delete,
 * copy or rename keys; change numbers, strings, booleans and types), from a seeded PRNG so
 * that every run of the suite tries the same cases.
 *
 * What counts as correct, for each mutated snapshot:
 * - `Context.fromJSON` refuses it with a `SnapshotError`; or
 * - the resumed run ends with the same result as the unmutated snapshot resumed; or
 * - it ends with a clean error: a stepwise error that is not an engine failure ("The workflow
 *   engine failed"), or the workflow's own step error, and a run timeout only once the run's
 *   timeout has passed since the resume;
 * - a mutation inside user data (event fields, store values, waiter requirements) may also
 *   change the result: that is the user's data, which the engine cannot know to be wrong;
 * - so may one in the events a fan-out collection has gathered: the state does not record how
 *   many events the branches gave, so a gathered event lost from it cannot be told from a
 *   branch that returned nothing (a known limit of the fan-out state, not checked here).
 * Never: another error from `fromJSON`, a run that has not ended once its timeout has passed on
 * its test clock (or after 2 s of real time), or a wrong result from a structural mutation.
 *
 * Set `FUZZ_REPORT=1` to print the outcome counts, `FUZZ_SHOW=<label prefix>` to print the
 * cases with that outcome (e.g. `failed`), `FUZZ_CASES` and `FUZZ_SEED` to try other cases.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StepwiseError } from "@stepwise/core";
import {
  type Base,
  FlakyError,
  type Outcome,
  resume,
  takeBases,
  timedOutEarly,
} from "./fixtures/snapshot-bases.js";

const CASES_PER_BASE = Number(process.env.FUZZ_CASES ?? 1000);
/** Another seed explores other cases (the suite always runs seed 0). */
const SEED = Number(process.env.FUZZ_SEED ?? 0);
/** Resumed runs in flight at once: their test clocks' settling waits overlap. */
const CONCURRENCY = 100;

type Json = null | boolean | number | string | undefined | Json[] | { [key: string]: Json };
type Container = Json[] | { [key: string]: Json };

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Site {
  readonly parent: Container;
  readonly key: string | number;
  readonly path: string;
  /** Inside an event's fields, a store value, a waiter's requirements or gathered events. */
  readonly userData: boolean;
}

function isContainer(value: Json): value is Container {
  return value !== null && typeof value === "object";
}

/** Every place in the snapshot a mutation can hit. */
function sitesOf(root: Container): Site[] {
  const sites: Site[] = [];
  const walk = (node: Container, path: string, userData: boolean) => {
    const isEvent = !Array.isArray(node) && node.$stepwise === "event";
    const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    for (const key of keys) {
      const child = (node as Record<string | number, Json>)[key] as Json;
      const inUserData =
        userData ||
        (isEvent && key === "data") ||
        (path === "" && key === "store") ||
        key === "requirements" ||
        (key === "events" && /\.gathered\.[^.]+$/.test(path));
      const childPath = typeof key === "number" ? `${path}[${key}]` : `${path}.${key}`;
      sites.push({ parent: node, key, path: childPath, userData: inUserData });
      if (isContainer(child)) walk(child, childPath, inUserData);
    }
  };
  walk(root, "", false);
  return sites;
}

/** Short strings of the snapshot (step names, event types, ids, statuses, ...) to swap in. */
function vocabularyOf(root: Container): string[] {
  const words = new Set<string>(["", "x", "timeout", "retry:99", "waiter:99", "c1", "idle"]);
  const walk = (node: Json) => {
    if (typeof node === "string" && node.length < 40) words.add(node);
    if (!isContainer(node)) return;
    for (const [key, child] of Object.entries(node)) {
      words.add(key);
      walk(child as Json);
    }
  };
  walk(root);
  return [...words];
}

const pick = <T>(rng: () => number, items: readonly T[]): T =>
  items[Math.floor(rng() * items.length)] as T;

/** Applies one random mutation at a random site; returns what it did. */
function mutate(root: Container, rng: () => number, vocabulary: readonly string[]) {
  const all = sitesOf(root);
  // Most mutations hit the engine's structure; user data is a large share of the nodes.
  const structural = all.filter((site) => !site.userData);
  const site = rng() < 0.8 && structural.length > 0 ? pick(rng, structural) : pick(rng, all);
  const parent = site.parent as Record<string | number, Json>;
  const value = parent[site.key] as Json;
  const set = (next: Json, what: string) => {
    parent[site.key] = next;
    return what;
  };
  const choices: (() => string)[] = [
    () => {
      if (Array.isArray(site.parent)) site.parent.splice(site.key as number, 1);
      else delete parent[site.key];
      return "delete";
    },
    () => set(null, "set null"),
    () => set(pick(rng, [{}, [], 0, "x", true, undefined] as Json[]), "change type"),
  ];
  if (Array.isArray(value) && value.length > 0) {
    const i = Math.floor(rng() * value.length);
    const j = Math.floor(rng() * value.length);
    choices.push(
      () => {
        value.splice(j, 0, structuredClone(value[i] as Json));
        return `duplicate [${i}]`;
      },
      () => {
        [value[i], value[j]] = [value[j] as Json, value[i] as Json];
        return `swap [${i}] [${j}]`;
      },
      () => {
        value.splice(i, 1);
        return `drop [${i}]`;
      },
      () => set([], "empty the array"),
    );
  } else if (isContainer(value) && Object.keys(value).length > 0) {
    const record = value as Record<string, Json>;
    const key = pick(rng, Object.keys(record));
    const other = pick(rng, vocabulary) || "k";
    choices.push(
      () => {
        delete record[key];
        return `delete key ${key}`;
      },
      () => {
        record[other] = structuredClone(record[key] as Json);
        return `copy key ${key} to ${other}`;
      },
      () => {
        record[other] = record[key] as Json;
        delete record[key];
        return `rename key ${key} to ${other}`;
      },
    );
  } else if (typeof value === "number") {
    const next = pick(rng, [
      -1,
      -value,
      0,
      value + 1,
      value - 1,
      value * 1000,
      value + 0.5,
      2 ** 53,
      1e300,
      Number.NaN,
    ]);
    choices.push(() => set(next, `number ${value} -> ${next}`));
    choices.push(() => set(next, `number ${value} -> ${next}`));
  } else if (typeof value === "string") {
    const next = pick(rng, vocabulary);
    choices.push(() => set(next, `string -> ${JSON.stringify(next)}`));
    choices.push(() => set(next, `string -> ${JSON.stringify(next)}`));
  } else if (typeof value === "boolean") {
    choices.push(() => set(!value, "flip"));
  }
  // Type-preserving changes reach past the shape checks; the first three break the shape.
  const what = (
    rng() < 0.3 || choices.length === 3 ? pick(rng, choices) : pick(rng, choices.slice(3))
  )();
  return { path: site.path, what, userData: site.userData };
}

/** Why an outcome is wrong, or null when it is correct (see the file's comment). */
function violation(outcome: Outcome, baseline: unknown, userData: boolean): string | null {
  switch (outcome.kind) {
    case "refused":
      return null;
    case "threw":
      return `fromJSON or run() threw ${String(outcome.error)}`;
    case "hung":
      return "the run had not ended after its timeout";
    case "result":
      if (userData) return null;
      try {
        assert.deepEqual(outcome.value, baseline);
        return null;
      } catch {
        return `wrong result ${JSON.stringify(outcome.value)}`;
      }
    case "failed": {
      const error = outcome.error;
      const message = error instanceof Error ? error.message : String(error);
      if (/workflow engine failed/i.test(message)) return `engine failure: ${message}`;
      if (timedOutEarly(outcome)) return `timed out early, at ${outcome.at} ms`;
      if (error instanceof StepwiseError || error instanceof FlakyError) return null;
      return `unclean error ${String(error)}`;
    }
  }
}

interface Tally {
  readonly counts: Record<string, number>;
  readonly violations: string[];
}

function label(outcome: Outcome, baseline: unknown): string {
  switch (outcome.kind) {
    case "refused":
      return `refused: ${outcome.error.code}`;
    case "failed":
      return `failed: ${outcome.error instanceof Error ? outcome.error.name : typeof outcome.error}`;
    case "result":
      try {
        assert.deepEqual(outcome.value, baseline);
        return "same result";
      } catch {
        return "other result (user data)";
      }
    default:
      return outcome.kind;
  }
}

async function fuzz(base: Base, baseIndex: number): Promise<Tally> {
  const baselineOutcome = await resume(base, base.snapshot);
  assert.equal(baselineOutcome.kind, "result", `${base.name}: the unmutated snapshot resumes`);
  const baseline = baselineOutcome.kind === "result" ? baselineOutcome.value : undefined;
  const vocabulary = vocabularyOf(base.snapshot as unknown as Container);
  const tally: Tally = { counts: {}, violations: [] };
  const one = async (n: number) => {
    const rng = prng(SEED * 7_919_000_009 + baseIndex * 1_000_003 + n);
    const snapshot = structuredClone(base.snapshot) as unknown as Container;
    const count = rng() < 0.7 ? 1 : rng() < 0.66 ? 2 : 3;
    const done = Array.from({ length: count }, () => mutate(snapshot, rng, vocabulary));
    const userData = done.some((m) => m.userData);
    const outcome = await resume(base, snapshot);
    const key = label(outcome, baseline);
    tally.counts[key] = (tally.counts[key] ?? 0) + 1;
    if (process.env.FUZZ_SHOW && key.startsWith(process.env.FUZZ_SHOW)) {
      const how = done.map((m) => `${m.path}: ${m.what}`).join("; ");
      const error = outcome.kind === "failed" ? String(outcome.error).slice(0, 120) : "";
      process.stdout.write(`${base.name} #${n} ${key} (${how}) ${error}\n`);
    }
    const wrong = violation(outcome, baseline, userData);
    if (wrong) {
      const how = done.map((m) => `${m.path}: ${m.what}`).join("; ");
      tally.violations.push(`${base.name} #${n} (${how}): ${wrong}`);
    }
  };
  for (let start = 0; start < CASES_PER_BASE; start += CONCURRENCY) {
    const batch = [];
    for (let n = start; n < Math.min(start + CONCURRENCY, CASES_PER_BASE); n++) batch.push(one(n));
    await Promise.all(batch);
  }
  return tally;
}

describe("corrupted snapshots", async () => {
  const bases = await takeBases();
  for (const [index, base] of bases.entries()) {
    it(`refuses or runs correctly every mutation of a snapshot taken ${base.name}`, async () => {
      const tally = await fuzz(base, index);
      if (process.env.FUZZ_REPORT) {
        process.stdout.write(`${base.name}: ${JSON.stringify(tally.counts)}\n`);
      }
      assert.deepEqual(tally.violations.slice(0, 10), [], `${tally.violations.length} violations`);
    });
  }
});
