import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { assertOneLineError } from "./assertions.js";
import { runInProcess } from "./run-cli.js";
import { fixture } from "./spawn-cli.js";
import { createUserProject } from "./user-project.js";

const root = mkdtempSync(join(tmpdir(), "stepwise-cli-load-"));
after(() => rmSync(root, { recursive: true, force: true }));
const commonJs = createUserProject(root, "commonjs");
const esm = createUserProject(root, "module");

/** Writes `source` to `name` in `dir` and returns its path. */
function write(dir: string, name: string, source: string): string {
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
}

const workflowSource = `import { StartEvent, StopEvent, Workflow } from "@stepwise/core";

export const workflow = new Workflow().addStep(
  "only",
  { accepts: StartEvent, emits: StopEvent },
  async () => new StopEvent({ result: "done" }),
);
`;

describe("a module that cannot be loaded", { concurrency: 4 }, () => {
  it("says how to get top-level await in a CommonJS TypeScript file", async () => {
    const path = write(commonJs, "tla.ts", `${workflowSource}await Promise.resolve();\n`);
    assertOneLineError(
      await runInProcess(["run", path]),
      /could not load `.*tla\.ts`: it uses top-level `await`, which CommonJS does not have, and it is CommonJS because .*package\.json has `"type": "commonjs"`; add `"type": "module"` to .*package\.json, rename it to `tla\.mts`, or move the `await` into an async function$/,
    );
  });

  it("says how to use require in an ES module", async () => {
    const path = write(esm, "uses-require.js", 'const core = require("@stepwise/core");\n');
    assertOneLineError(
      await runInProcess(["run", path]),
      /could not load `.*uses-require\.js`: it uses `require`, which ES modules do not have, and it is an ES module because .*package\.json has `"type": "module"`; use `import`\/`export` .*, or rename it to `uses-require\.cjs`$/,
    );
  });

  it("says to rename a JavaScript file that uses decorators", async () => {
    const path = write(
      esm,
      "decorated.mjs",
      `import { StartEvent, StopEvent, step, Workflow } from "@stepwise/core";

export class Decorated extends Workflow {
  @step({ accepts: StartEvent, emits: StopEvent })
  async only() {
    return new StopEvent({ result: "done" });
  }
}
`,
    );
    assertOneLineError(
      await runInProcess(["draw", path]),
      /could not load `.*decorated\.mjs`: it uses decorators, which Node\.js does not run in a JavaScript file; rename it to `decorated\.ts` .*, or add its steps with `workflow\.addStep\(\.\.\.\)`$/,
    );
  });

  it("says which package to install when an import is missing", async () => {
    const path = write(commonJs, "missing.ts", `import "left-pad";\n${workflowSource}`);
    assertOneLineError(
      await runInProcess(["run", path]),
      /could not load `.*missing\.ts`: it imports `left-pad`, which is not installed where it looks \(from .*\); run `npm install left-pad` in its project$/,
    );
  });

  it("refuses a file that is not a module", async () => {
    const path = write(esm, "input.json", "{}\n");
    assertOneLineError(
      await runInProcess(["run", path]),
      /`.*input\.json` is not a module the CLI can load; pass a \.ts, \.mts, \.cts, \.js, \.mjs, \.cjs, \.tsx, \.jsx file$/,
    );
  });

  it("says when a workflow comes from another copy of @stepwise/core", async () => {
    const elsewhere = createUserProject(root, "module", { name: "own-core", copyCore: true });
    const path = write(elsewhere, "elsewhere.ts", workflowSource);
    assertOneLineError(
      await runInProcess(["run", path]),
      /export `workflow` of `.*elsewhere\.ts` is a Workflow of another copy of @stepwise\/core \(.*own-core\/node_modules\/@stepwise\/core\) than the CLI's \(.*\), and events route by class identity; run the `stepwise` installed in the module's project/,
    );
  });

  it("says when a workflow extends a class named Workflow that is not the engine's", async () => {
    assertOneLineError(
      await runInProcess(["run", fixture("foreign-copy.ts")]),
      /export `ElsewhereWorkflow` of `.*foreign-copy\.ts` extends a class named `Workflow` that is not the `Workflow` of @stepwise\/core \(.*\); extend the one/,
    );
  });
});
