/**
 * The torture test at full count: 100 runs over 3 worker processes, a worker SIGKILLed every
 * ~3 s and replaced. Prints its figures; exits 1 when a check fails.
 * Run from packages/dbos: `node --conditions=@stepwise/source --import tsx scripts/torture.ts`
 * (options: `--runs 100 --kill-every 3000 --start-every 200 --replacement alternate|same|new --keep`).
 */
import { parseArgs } from "node:util";
import { describeReport, runTorture } from "../test/fixtures/torture-harness.ts";
import { freshDatabase, skipPostgres } from "../test/support/postgres.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "100" },
    "kill-every": { type: "string", default: "3000" },
    replacement: { type: "string", default: "alternate" },
    workers: { type: "string", default: "3" },
    "start-every": { type: "string", default: "200" },
    deadline: { type: "string", default: "60000" },
    keep: { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
  },
});
if (skipPostgres) process.exit(0);
const { url, drop } = await freshDatabase("stepwise_torture");
console.log(`database: ${url}`);
const report = await runTorture({
  databaseUrl: url,
  runs: Number(values.runs),
  workers: Number(values.workers),
  killEveryMs: Number(values["kill-every"]),
  startEveryMs: Number(values["start-every"]),
  replacement: values.replacement as "alternate" | "same" | "new",
  deadlineMs: Number(values.deadline),
  log: values.quiet ? undefined : (line) => console.log(`  ${line}`),
});
for (const line of describeReport(report)) console.log(line);
const problems = [
  ...report.lost.map((r) => `lost ${r}`),
  ...report.stuck,
  ...report.failed,
  ...report.mismatched,
  ...report.effects.missing,
  ...report.streams.problems,
  ...(report.completedTwice > 0 ? [`${report.completedTwice} completed steps executed twice`] : []),
];
for (const problem of problems.slice(0, 30)) console.log(`PROBLEM ${problem}`);
if (!values.keep) await drop();
process.exit(problems.length > 0 ? 1 : 0);
