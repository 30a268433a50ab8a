/**
 * `npm run bench [-- --quick] [--source] [--systems=a,b] [--scenarios=x,y] [--conditions=steady,gc,cold]`:
 * runs every scenario for every system, each (system, scenario) in its own child process, prints
 * one table and writes results/<timestamp>.json and results/latest.json. Without
 * `--conditions`, the steady and forced-GC rows; `cold` is a diagnostic, run only when named.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { machineFacts } from "./machine.js";
import { type BenchResults, type Cell, renderTable } from "./report.js";
import { runChild } from "./run-child.js";
import { type Condition, defaultConditions, type Mode, scenariosFor } from "./scenarios.js";
import { isPeer, systemIds } from "./systems/registry.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    source: { type: "boolean", default: false },
    systems: { type: "string" },
    scenarios: { type: "string" },
    conditions: { type: "string" },
  },
});

const mode: Mode = values.quick ? "quick" : "full";
const pick = (list: string | undefined) => list?.split(",").map((s) => s.trim());
const wantedSystems = pick(values.systems) ?? [...systemIds];
for (const id of wantedSystems) {
  if (!systemIds.includes(id))
    throw new Error(
      `unknown system \`${id}\` in --systems; known systems: ${systemIds.join(", ")}`,
    );
}
const conditionIds: Record<string, Condition> = {
  steady: "steady",
  gc: "forcedGc",
  cold: "cold",
};
const idOfCondition = (condition: Condition) =>
  Object.keys(conditionIds).find((id) => conditionIds[id] === condition)!;
const wantedConditions = (pick(values.conditions) ?? defaultConditions.map(idOfCondition)).map(
  (id) => {
    const condition = conditionIds[id];
    if (!condition)
      throw new Error(
        `unknown condition \`${id}\` in --conditions; known: ${Object.keys(conditionIds).join(", ")}`,
      );
    return condition;
  },
);
const allScenarios = scenariosFor(mode, wantedConditions);
const wantedScenarios = pick(values.scenarios);
for (const id of wantedScenarios ?? []) {
  if (!allScenarios.some((s) => s.id === id || s.steadyId === id))
    throw new Error(
      `unknown scenario \`${id}\` in --scenarios for ${mode} mode; known: ${allScenarios.map((s) => s.id).join(", ")}`,
    );
}
// `--scenarios=chain-1k` picks the row in every wanted condition (chain-1k, chain-1k-gc, ...).
const scenarios = allScenarios.filter(
  (s) =>
    !wantedScenarios ||
    wantedScenarios.includes(s.id) ||
    wantedScenarios.includes(s.steadyId ?? ""),
);
// Bytes allocated per unit are measured for stepwise (and the floor, for scale) in steady rows.
const measuresAllocations = new Set([
  "floor",
  "stepwise",
  "stepwise-sqlite",
  "stepwise-sqlite-normal",
]);

const coreDist = new URL("../../packages/core/dist/index.js", import.meta.url);
let systems = wantedSystems;
if (systems.includes("stepwise") && !values.source && !existsSync(coreDist)) {
  console.error(
    "stepwise is measured from its compiled dist, which is missing: run `npm run build` at the " +
      "repository root first (or pass --source to load its TypeScript source). Measuring the others.",
  );
  systems = systems.filter((id) => id !== "stepwise");
}

// Column labels, with the versions measured. Kept here rather than read from the adapters so
// that this process never imports an engine: each one is loaded only in its own children.
const labels: Record<string, string> = {
  floor: "plain async",
  stepwise: "stepwise 0.1.0",
  "stepwise-sqlite": "stepwise + sqlite (full)",
  "stepwise-sqlite-normal": "stepwise + sqlite (normal)",
  llamaindex: "llamaindex 1.3.4",
  langgraph: "langgraph 1.7.3",
  mastra: "mastra 1.71.0",
};

const machine = machineFacts();
const started = new Date();
const t0 = performance.now();
const results: Record<string, Record<string, Cell>> = {};
const jobs = scenarios.flatMap((scenario) =>
  systems
    .filter((system) => !scenario.only || scenario.only.includes(system))
    .map((system) => ({ scenario, system })),
);
let done = 0;
for (const { scenario, system } of jobs) {
  done++;
  process.stderr.write(`[${done}/${jobs.length}] ${system} ${scenario.id} ... `);
  const allocations = measuresAllocations.has(system) && scenario.condition === "steady";
  const outcome = await runChild(
    { system, scenario, options: { allocations } },
    { source: values.source },
  );
  const row = results[scenario.id] ?? {};
  results[scenario.id] = row;
  if (outcome.ok) {
    const r = outcome.result;
    row[system] = {
      median: r.median,
      samples: r.samples,
      wallMs: r.wallMs,
      warmups: r.warmups,
      warmupMs: r.warmupMs,
      warnings: outcome.warnings,
      ...(r.bytesPerUnit === undefined
        ? {}
        : { bytesPerUnit: r.bytesPerUnit, gcsPerRepetition: r.gcsPerRepetition }),
    };
    const bytes = r.bytesPerUnit === undefined ? "" : `, ${Math.round(r.bytesPerUnit)} B/unit`;
    process.stderr.write(
      `${r.median.toFixed(2)} ${scenario.unit} (${r.warmups} warm-ups in ${(r.warmupMs / 1000).toFixed(1)} s, ` +
        `${r.samples.length} runs, ${(r.wallMs / 1000).toFixed(1)} s${bytes})\n`,
    );
  } else {
    row[system] = { error: outcome.error, timedOut: outcome.timedOut, warnings: outcome.warnings };
    process.stderr.write(`${outcome.timedOut ? "TIMED OUT" : "FAILED"}\n${outcome.error}\n`);
  }
}

const report: BenchResults = {
  startedAt: started.toISOString(),
  mode,
  stepwiseFrom: values.source ? "source" : "dist",
  machine,
  loadAverageAtEnd: os.loadavg().map((v) => Math.round(v * 100) / 100),
  systems: systems.map((id) => ({ id, label: labels[id] ?? id, peer: isPeer(id) })),
  scenarios,
  results,
  wallSeconds: (performance.now() - t0) / 1000,
};

console.log(renderTable(report));
const dir = new URL("../results/", import.meta.url);
mkdirSync(dir, { recursive: true });
const json = `${JSON.stringify(report, null, 2)}\n`;
const stamp = started.toISOString().replace(/[:.]/g, "-");
const name = `${stamp}${mode === "quick" ? "-quick" : ""}${values.systems || values.scenarios || values.conditions ? "-partial" : ""}.json`;
writeFileSync(new URL(name, dir), json);
// latest.json is the last complete run: a run narrowed with --systems/--scenarios leaves it alone.
const complete = !values.systems && !values.scenarios && !values.conditions;
if (complete) writeFileSync(new URL("latest.json", dir), json);
console.log(`\nwrote bench/results/${name}${complete ? " and bench/results/latest.json" : ""}`);
