/**
 * One benchmark child: runs one scenario for one system in a fresh process and reports the
 * measurement to its parent over IPC. Started by `main.ts` and `profile.ts`, not by hand.
 */
import { type MeasureOptions, measure } from "./measure.js";
import type { Scenario } from "./scenarios.js";
import { loadSystem } from "./systems/registry.js";

/** What the parent passes as argv[2], as JSON. */
export interface ChildSpec {
  readonly system: string;
  readonly scenario: Scenario;
  readonly options?: MeasureOptions;
}

function reply(message: unknown, code: number): void {
  // Exit explicitly: a system may leave timers behind, and the parent must not wait for them.
  if (process.send) process.send(message, () => process.exit(code));
  else {
    console.log(JSON.stringify(message));
    process.exit(code);
  }
}

try {
  const spec = JSON.parse(process.argv[2] ?? "") as ChildSpec;
  const system = await loadSystem(spec.system);
  reply({ ok: true, result: await measure(system, spec.scenario, spec.options) }, 0);
} catch (error) {
  reply(
    { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) },
    1,
  );
}
