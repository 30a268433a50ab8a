import { stepwise } from "./systems/stepwise.js";

const which = process.argv[2]!;
const n = Number(process.argv[3]);
const mk =
  which === "fanout"
    ? stepwise.fanOut
    : which === "chain"
      ? stepwise.chain
      : stepwise.variants![which]!;
const w = await mk(1000);
for (let i = 0; i < 3; i++) await w();
const r = await mk(n);
const ts: number[] = [];
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  await r();
  ts.push(((performance.now() - t0) * 1000) / n);
}
console.log(which, n, ts.map((t) => t.toFixed(1)).join(" "), "µs/unit");
