import { busyWarning, type MachineFacts } from "./machine.js";
import type { Mode, Scenario } from "./scenarios.js";
import { peerIds } from "./systems/registry.js";

/** One cell of the results: a system's figures for one scenario. */
export interface Cell {
  readonly median?: number;
  readonly samples?: number[];
  readonly wallMs?: number;
  /** Warm-up runs done before the timed ones, and their wall time in milliseconds. */
  readonly warmups?: number;
  readonly warmupMs?: number;
  readonly error?: string;
  readonly timedOut?: boolean;
  readonly warnings?: string[];
  /** Bytes allocated on the V8 heap per unit (hop, event, run), from V8's GC statistics. */
  readonly bytesPerUnit?: number;
  readonly gcsPerRepetition?: number;
}

/** Everything one `npm run bench` measured; written to results/<timestamp>.json. */
export interface BenchResults {
  readonly startedAt: string;
  readonly mode: Mode;
  /** Where stepwise was loaded from: "dist" (compiled, the default) or "source" (TypeScript). */
  readonly stepwiseFrom: "dist" | "source";
  /** Facts at the start; `loadAverageAtEnd` is the load when the last child finished. */
  readonly machine: MachineFacts;
  readonly loadAverageAtEnd: readonly number[];
  /** The systems measured; `peer` marks the other engines (from `systems/registry.ts`). */
  readonly systems: { readonly id: string; readonly label: string; readonly peer: boolean }[];
  readonly scenarios: Scenario[];
  /** results[scenarioId][systemId] */
  readonly results: Record<string, Record<string, Cell>>;
  readonly wallSeconds: number;
}

/** Formats a per-unit figure with about three significant digits. */
export function formatNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString("en-US");
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function formatRatio(ratio: number): string {
  return ratio >= 10 ? `×${ratio.toFixed(0)}` : `×${ratio.toFixed(1)}`;
}

function cellText(cell: Cell | undefined): string {
  if (!cell) return "—";
  if (cell.timedOut) return "timed out";
  if (cell.error !== undefined) return "error";
  return formatNumber(cell.median!);
}

/** The peer engines among the systems of this run. */
function peersOf(results: BenchResults): string[] {
  return results.systems.filter((s) => s.peer).map((s) => s.id);
}

/** peer median ÷ stepwise median for time rows (how many times slower the peer is). */
function ratioToStepwise(
  scenario: Scenario,
  row: Record<string, Cell>,
  peer: string,
): number | null {
  const ours = row.stepwise?.median;
  const theirs = row[peer]?.median;
  if (scenario.unit === "KB" || ours === undefined || theirs === undefined || ours <= 0)
    return null;
  return theirs / ours;
}

function pad(text: string, width: number, right: boolean): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** Renders the results as one text table, with notes and the engine targets under it. */
export function renderTable(results: BenchResults): string {
  const header = [
    "scenario",
    "unit",
    ...results.systems.map((s) => s.label),
    "fastest peer ÷ stepwise",
  ];
  const peers = peersOf(results);
  const rows: string[][] = [];
  for (const scenario of results.scenarios) {
    const row = results.results[scenario.id] ?? {};
    const cells = results.systems.map((system) => {
      const text = cellText(row[system.id]);
      const ratio = peers.includes(system.id) ? ratioToStepwise(scenario, row, system.id) : null;
      return ratio === null ? text : `${text} (${formatRatio(ratio)})`;
    });
    const ratios = peers
      .map((peer) => ratioToStepwise(scenario, row, peer))
      .filter((r): r is number => r !== null);
    rows.push([
      scenario.label,
      scenario.unit,
      ...cells,
      ratios.length ? formatRatio(Math.min(...ratios)) : "—",
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => pad(c, widths[i]!, i >= 2)).join(" | ")} |`;
  const separator = `|${widths.map((w, i) => (i >= 2 ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`;
  const m = results.machine;
  const busy = busyWarning(m.loadAverage, results.loadAverageAtEnd, m.cores);
  const out: string[] = [
    `stepwise bench — ${results.mode === "quick" ? "QUICK mode (1,000-size rows only, heap after 2,000 runs, few repeats: a smoke check, not a result)" : "full mode"}`,
    `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node} (V8 ${m.v8})`,
    `load average ${m.loadAverage.join(" ")} at start, ${results.loadAverageAtEnd.join(" ")} at end`,
    `stepwise from ${results.stepwiseFrom === "dist" ? "packages/core/dist (compiled JS)" : "TypeScript source (--source)"}; ` +
      `medians per unit; (×N) = peer ÷ stepwise; ${results.wallSeconds.toFixed(0)} s in all`,
    ...(busy ? [busy] : []),
    "",
    line(header),
    separator,
    ...rows.map(line),
  ];
  const notes: string[] = [];
  for (const scenario of results.scenarios) {
    for (const system of results.systems) {
      const cell = results.results[scenario.id]?.[system.id];
      if (!cell) continue;
      if (cell.error !== undefined)
        notes.push(`${system.id} / ${scenario.id}: ${cell.error.split("\n")[0]}`);
      else if (results.mode === "full" && cell.samples && cell.samples.length < 3)
        notes.push(
          `${system.id} / ${scenario.id}: ${cell.samples.length} timed run(s) only (time cap)`,
        );
      for (const warning of cell.warnings ?? []) {
        if (!warning.startsWith("(Use `node --trace-warnings"))
          notes.push(`${system.id} / ${scenario.id}: ${warning}`);
      }
    }
  }
  if (notes.length) out.push("", "Notes:", ...notes.map((n) => `  - ${n}`));
  out.push("", ...allocationLines(results));
  out.push("", ...targetLines(results));
  return out.join("\n");
}

function medianOf(results: BenchResults, scenario: string, system: string): number | undefined {
  return results.results[scenario]?.[system]?.median;
}

/** Bytes allocated per unit, for the systems whose children measured them. */
function allocationLines(results: BenchResults): string[] {
  const lines: string[] = [];
  for (const scenario of results.scenarios) {
    const row = results.results[scenario.id] ?? {};
    const cells = results.systems
      .map((system) => ({ system, cell: row[system.id] }))
      .filter(({ cell }) => cell?.bytesPerUnit !== undefined)
      .map(({ system, cell }) => {
        const unit = scenario.unit.replace("µs", "B");
        return `${system.id} ${formatNumber(cell?.bytesPerUnit as number)} ${unit} (${cell?.gcsPerRepetition} GCs)`;
      });
    if (cells.length) lines.push(`  ${scenario.id}: ${cells.join(", ")}`);
  }
  if (!lines.length) return [];
  return [
    "Allocated on the V8 heap per unit (one untimed repetition after the timed ones; V8 GC " +
      "statistics from v8.GCProfiler: heap used before each GC − after the previous one):",
    ...lines,
  ];
}

/** The engine's targets from the issue, checked against this run's stepwise figures. */
function targetLines(results: BenchResults): string[] {
  if (!results.systems.some((s) => s.id === "stepwise")) return [];
  const lines = ["Targets for stepwise:"];
  const check = (
    label: string,
    value: number | undefined,
    ok: (v: number) => boolean,
    unit: string,
  ) => {
    if (value === undefined) return;
    lines.push(`  ${ok(value) ? "PASS" : "MISS"}  ${label}: ${formatNumber(value)} ${unit}`);
  };
  check(
    "≤ 5 µs per hop at 10,000",
    medianOf(results, "chain-10k", "stepwise"),
    (v) => v <= 5,
    "µs",
  );
  check(
    "≤ 5 µs per event at 10,000",
    medianOf(results, "fanout-10k", "stepwise"),
    (v) => v <= 5,
    "µs",
  );
  check(
    "≤ 5 µs per event at 10,000 (counter fan-in)",
    medianOf(results, "fanout-10k-counter", "stepwise"),
    (v) => v <= 5,
    "µs",
  );
  for (const id of ["runs-seq-2k", "runs-seq-500", "runs-conc-1k"]) {
    check(`≤ 25 µs per tiny run (${id})`, medianOf(results, id, "stepwise"), (v) => v <= 25, "µs");
  }
  for (const [small, large] of [
    ["chain-1k", "chain-10k"],
    ["fanout-1k", "fanout-10k"],
    ["fanout-1k-counter", "fanout-10k-counter"],
  ] as const) {
    const a = medianOf(results, small, "stepwise");
    const b = medianOf(results, large, "stepwise");
    if (a !== undefined && b !== undefined)
      check(
        `linear in N (${large} per unit ÷ ${small} per unit ≤ 1.5)`,
        b / a,
        (v) => v <= 1.5,
        "×",
      );
  }
  for (const id of ["heap-10k", "heap-2k"]) {
    check(
      `flat heap (${id} ≤ 256 KB retained)`,
      medianOf(results, id, "stepwise"),
      (v) => v <= 256,
      "KB",
    );
  }
  // Issue 16: absolute figures in the steady condition, forced GC within 1.5× of steady,
  // concurrent runs no dearer per run than sequential ones, and ≥ 20× the fastest peer in both
  // conditions. The main rows only (no stepwise-only variants), found by kind so that quick
  // mode's rows (runs-seq-500) are checked too. Cold rows are a diagnostic: no targets.
  const main = (condition: Scenario["condition"]) =>
    results.scenarios.filter((s) => s.condition === condition && !s.only && s.unit !== "KB");
  const limits: Record<string, [number, string]> = {
    chain: [1, "µs per hop"],
    fanOut: [2, "µs per event"],
    seqRuns: [3, "µs per sequential run"],
    concRuns: [3, "µs per concurrent run"],
  };
  // Rows doing a main row's work in another idiom are held to its targets, beside its peers.
  const held = (condition: Scenario["condition"]) => [
    ...main(condition),
    ...results.scenarios.filter((s) => s.condition === condition && s.doesWorkOf),
  ];
  for (const scenario of held("steady")) {
    const limit = limits[scenario.kind];
    if (!limit) continue;
    const [most, what] = limit;
    check(
      `≤ ${most} ${what} (${scenario.id})`,
      medianOf(results, scenario.id, "stepwise"),
      (v) => v <= most,
      "µs",
    );
  }
  for (const scenario of results.scenarios) {
    if (scenario.condition !== "forcedGc" || !scenario.steadyId) continue;
    const forced = medianOf(results, scenario.id, "stepwise");
    const steady = medianOf(results, scenario.steadyId, "stepwise");
    if (forced !== undefined && steady !== undefined)
      check(
        `forced GC ≤ 1.5× steady (${scenario.id} ÷ ${scenario.steadyId})`,
        forced / steady,
        (v) => v <= 1.5,
        "×",
      );
  }
  for (const condition of ["steady", "forcedGc"] as const) {
    const rows = main(condition);
    const conc = rows.find((s) => s.kind === "concRuns");
    const seq = rows.find((s) => s.kind === "seqRuns");
    if (!conc || !seq) continue;
    const a = medianOf(results, conc.id, "stepwise");
    const b = medianOf(results, seq.id, "stepwise");
    if (a !== undefined && b !== undefined)
      check(`concurrent ≤ sequential per run (${conc.id} ÷ ${seq.id})`, a / b, (v) => v <= 1, "×");
  }
  // Against the fastest peer only when every peer was in the run. A peer whose cell failed or
  // timed out on a row has no figure there; the fastest of those that have one counts.
  const peers = peersOf(results);
  if (peerIds.every((id) => peers.includes(id))) {
    for (const scenario of [...held("steady"), ...held("forcedGc")]) {
      const ours = medianOf(results, scenario.id, "stepwise");
      const peerRow = scenario.doesWorkOf ?? scenario.id;
      const theirs = peers
        .map((id) => ({ id, median: medianOf(results, peerRow, id) }))
        .filter((p): p is { id: string; median: number } => p.median !== undefined)
        .sort((a, b) => a.median - b.median)[0];
      const beside = scenario.doesWorkOf ? ` beside ${scenario.doesWorkOf}` : "";
      if (ours !== undefined && theirs)
        check(
          `≥ 20× ahead of the fastest peer (${scenario.id}${beside}: ${theirs.id})`,
          theirs.median / ours,
          (v) => v >= 20,
          "×",
        );
    }
  }
  return lines;
}
