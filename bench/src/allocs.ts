/**
 * `npm run bench:allocs -- [scenario ...] [--system=stepwise] [--top=12] [--source]`: for each
 * scenario (default: the six main rows), a child runs it as usual, then reports the bytes one
 * repetition allocates (V8's GC statistics) and a sampled heap-allocation profile of three more
 * repetitions, and this prints the top allocation sites and files. Profiles are kept in
 * results/profiles/allocs-<system>-<scenario>.heapprofile (Chrome DevTools, Memory tab).
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runChild } from "./run-child.js";
import { scenariosFor } from "./scenarios.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    system: { type: "string", default: "stepwise" },
    top: { type: "string", default: "12" },
    source: { type: "boolean", default: false },
    interval: { type: "string", default: "1024" },
  },
});

const all = scenariosFor("full", ["steady"]);
const ids = positionals.length
  ? positionals
  : ["chain-1k", "chain-10k", "fanout-1k", "fanout-10k", "runs-seq-2k", "runs-conc-1k"];
const dirUrl = new URL("../results/profiles/", import.meta.url);
mkdirSync(dirUrl, { recursive: true });
const root = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
const top = Number(values.top);
const pct = (share: number) => `${(share * 100).toFixed(1).padStart(5)}%`;

for (const id of ids) {
  const found = all.find((s) => s.id === id);
  if (!found) {
    console.error(`unknown scenario \`${id}\`; known: ${all.map((s) => s.id).join(", ")}`);
    process.exit(2);
  }
  const scenario = {
    ...found,
    plan: { ...found.plan, minRepeats: 3, maxRepeats: 3, budgetMs: 0, killAfterMs: 600_000 },
  };
  const file = fileURLToPath(new URL(`allocs-${values.system}-${id}.heapprofile`, dirUrl));
  const outcome = await runChild(
    {
      system: values.system,
      scenario,
      options: {
        allocations: true,
        heapProfile: { interval: Number(values.interval), times: 3, file, root },
      },
    },
    { source: values.source },
  );
  if (!outcome.ok) {
    console.error(`${values.system} ${id} failed: ${outcome.error}`);
    process.exit(1);
  }
  const r = outcome.result;
  const profile = r.allocationProfile;
  const unit = scenario.unit.replace("µs/", "");
  console.log(
    `\n${values.system} ${id}: ${r.median.toFixed(2)} ${scenario.unit}, ` +
      `${Math.round(r.bytesPerUnit ?? Number.NaN)} B allocated per ${unit} ` +
      `(${r.gcsPerRepetition} GCs per repetition); sampled ${((profile?.totalBytes ?? 0) / 1e6).toFixed(1)} MB over 3 repetitions`,
  );
  for (const site of profile?.sites.slice(0, top) ?? [])
    console.log(`${pct(site.share)}  ${site.name}  ${site.location}`);
  console.log("  by file:");
  for (const f of profile?.files.slice(0, 6) ?? []) console.log(`  ${pct(f.share)}  ${f.name}`);
}
