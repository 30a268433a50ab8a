/**
 * `npm run bench:profile -- <scenario> [--system=stepwise] [--top=25] [--source]`: runs one
 * scenario under `node --cpu-prof` in a child and prints the functions and files with the most
 * self time. The profile is kept in results/profiles/ for Chrome DevTools or speedscope.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { summarizeProfile } from "./cpuprofile.js";
import { runChild } from "./run-child.js";
import { scenariosFor } from "./scenarios.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    system: { type: "string", default: "stepwise" },
    top: { type: "string", default: "25" },
    source: { type: "boolean", default: false },
  },
});

const scenarios = scenariosFor("full");
const scenarioId = positionals[0];
const found = scenarios.find((s) => s.id === scenarioId);
if (!found) {
  console.error(
    `usage: npm run bench:profile -- <scenario> [--system=stepwise] [--top=25] [--source]\n` +
      `scenarios: ${scenarios.map((s) => s.id).join(", ")}`,
  );
  process.exit(2);
}
// Profile the steady state: a fixed number of repeats rather than a time budget.
const scenario = {
  ...found,
  plan: { ...found.plan, minRepeats: 5, maxRepeats: 5, budgetMs: 0, killAfterMs: 600_000 },
};

const dirUrl = new URL(`../results/profiles/${values.system}-${scenario.id}/`, import.meta.url);
const dir = fileURLToPath(dirUrl);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const outcome = await runChild(
  { system: values.system, scenario },
  {
    source: values.source,
    nodeFlags: ["--cpu-prof", `--cpu-prof-dir=${dir}`, "--cpu-prof-interval=100"],
  },
);
if (!outcome.ok) {
  console.error(`profiling ${values.system} ${scenario.id} failed: ${outcome.error}`);
  process.exit(1);
}
const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
if (!file) {
  console.error(`no .cpuprofile was written to ${dir}`);
  process.exit(1);
}
const root = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
const summary = summarizeProfile(`${dir}${file}`, root, outcome.result.timedWindowsUs);
const top = Number(values.top);
const pct = (share: number) => `${(share * 100).toFixed(1).padStart(5)}%`;
const ms = (v: number) => `${v.toFixed(1).padStart(8)} ms`;

console.log(
  `${values.system} ${scenario.id}: median ${outcome.result.median.toFixed(2)} ${scenario.unit} ` +
    `(${outcome.result.samples.length} runs after warm-up); ${summary.totalMs.toFixed(0)} ms sampled ` +
    "inside the timed runs (start-up, warm-up and the pauses between runs left out)",
);
console.log(`\nTop ${top} functions by self time:`);
for (const f of summary.functions.slice(0, top))
  console.log(`${pct(f.share)} ${ms(f.selfMs)}  ${f.name}  ${f.location}`);
console.log("\nSelf time by file:");
for (const f of summary.files.slice(0, 15))
  console.log(`${pct(f.share)} ${ms(f.selfMs)}  ${f.name}`);
console.log(`\nprofile: ${dir}${file}`);
