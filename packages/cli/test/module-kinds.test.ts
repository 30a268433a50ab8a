import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runNode } from "./spawn-cli.js";
import {
  buildPackages,
  createUserProject,
  type PackageType,
  projectBin,
  TSX_CLI,
} from "./user-project.js";

const root = mkdtempSync(join(tmpdir(), "stepwise-cli-kinds-"));
after(() => rmSync(root, { recursive: true, force: true }));

const PACKAGE_TYPES: readonly PackageType[] = ["module", "commonjs", "none"];
const EXTENSIONS = [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"] as const;
type Extension = (typeof EXTENSIONS)[number];

/** The module system Node.js and tsx give a file: by extension, else by the package's type. */
function expectedKind(ext: Extension, type: PackageType): "esm" | "cjs" {
  if (ext === ".mts" || ext === ".mjs") return "esm";
  if (ext === ".cts" || ext === ".cjs") return "cjs";
  return type === "module" ? "esm" : "cjs";
}

// The workflow reports the module system it ran in, so each cell checks that it loaded the file
// as Node.js would; routing through `GreetEvent` checks that it shares the CLI's engine.
const KIND = 'typeof module === "undefined" ? "esm" : "cjs"';

/** A class with TC39 decorators, in ES-module syntax (tsx compiles it to CommonJS where needed). */
const TYPESCRIPT = `import { Event, StartEvent, StopEvent, step, Workflow } from "@stepwise/core";
import { z } from "zod";

export class GreetEvent extends Event.define({ name: z.string() }) {}

export class GreetingWorkflow extends Workflow {
  @step({ accepts: StartEvent, emits: GreetEvent })
  async start(ev: StartEvent): Promise<GreetEvent> {
    return new GreetEvent({ name: String(ev.get("name", "world")) });
  }

  @step({ accepts: GreetEvent, emits: StopEvent })
  async greet(ev: GreetEvent): Promise<StopEvent> {
    return new StopEvent({ result: \`Hello, \${ev.name} (\${${KIND}})\` });
  }
}
`;

/** JavaScript has no decorators: the function API, in the file's own module syntax. */
function javaScript(kind: "esm" | "cjs"): string {
  const [imports, exported] =
    kind === "esm"
      ? [
          'import { Event, StartEvent, StopEvent, Workflow } from "@stepwise/core";\nimport { z } from "zod";',
          "export { GreetEvent, greeting };",
        ]
      : [
          'const { Event, StartEvent, StopEvent, Workflow } = require("@stepwise/core");\nconst { z } = require("zod");',
          "module.exports = { GreetEvent, greeting };",
        ];
  return `${imports}

class GreetEvent extends Event.define({ name: z.string() }) {}

const greeting = new Workflow({ name: "GreetingWorkflow" })
  .addStep("start", { accepts: StartEvent, emits: GreetEvent }, async (ev) =>
    new GreetEvent({ name: String(ev.get("name", "world")) }))
  .addStep("greet", { accepts: GreetEvent, emits: StopEvent }, async (ev) =>
    new StopEvent({ result: \`Hello, \${ev.name} (\${${KIND}})\` }));

${exported}
`;
}

const projects = new Map<PackageType, string>();

before(async () => {
  await buildPackages();
  for (const type of PACKAGE_TYPES) {
    const dir = createUserProject(root, type);
    projects.set(type, dir);
    for (const ext of EXTENSIONS) {
      const source = ext.endsWith("ts") ? TYPESCRIPT : javaScript(expectedKind(ext, type));
      writeFileSync(join(dir, `greeting${ext}`), source);
    }
  }
});

function project(type: PackageType): string {
  const dir = projects.get(type);
  assert.ok(dir, `project for ${type}`);
  return dir;
}

describe("stepwise run on every kind of module", { concurrency: 4 }, () => {
  for (const type of PACKAGE_TYPES) {
    const packageJson = type === "none" ? 'no "type"' : `"type": "${type}"`;
    for (const ext of EXTENSIONS) {
      const kind = expectedKind(ext, type);
      it(`runs a ${ext} file in a package with ${packageJson}, as ${kind === "esm" ? "an ES module" : "CommonJS"}`, async () => {
        const dir = project(type);
        const run = await runNode(
          [projectBin(dir), "run", `greeting${ext}`, "--input", '{"name":"Ada"}'],
          { cwd: dir },
        );
        assert.equal(run.stderr, "");
        assert.equal(run.stdout, `Hello, Ada (${kind})\n`);
        assert.equal(run.code, 0);
      });
    }
  }
});

describe("stepwise draw on CommonJS TypeScript", () => {
  it("draws a .ts file in a package without a type field", async () => {
    const dir = project("none");
    const run = await runNode([projectBin(dir), "draw", "greeting.ts", "--mermaid"], { cwd: dir });
    assert.equal(run.stderr, "");
    assert.match(run.stdout, /event_GreetEvent --> step_greet/);
  });
});

describe("a user's own file run with tsx", { concurrency: 3 }, () => {
  const direct = (
    extra: string,
  ) => `import { Event, StartEvent, StopEvent, step, Workflow } from "@stepwise/core";
import { z } from "zod";

class GreetEvent extends Event.define({ name: z.string() }) {}

class GreetingWorkflow extends Workflow {
  @step({ accepts: StartEvent, emits: GreetEvent })
  async start(ev: StartEvent): Promise<GreetEvent> {
    return new GreetEvent({ name: String(ev.get("name", "world")) });
  }

  @step({ accepts: GreetEvent, emits: StopEvent })
  async greet(ev: GreetEvent): Promise<StopEvent> {
    return new StopEvent({ result: \`Hello, \${ev.name} (\${${KIND}})\` });
  }
}

${extra}`;
  const thenLog = `new GreetingWorkflow().run({ name: "Ada" }).then((result) => console.log(result));\n`;

  it("runs a .cts file that imports @stepwise/core (npx tsx direct.cts)", async () => {
    const dir = project("commonjs");
    writeFileSync(join(dir, "direct.cts"), direct(thenLog));
    const run = await runNode([TSX_CLI, "direct.cts"], { cwd: dir });
    assert.equal(run.stderr, "");
    assert.equal(run.stdout, "Hello, Ada (cjs)\n");
  });

  it("runs a .ts file in a package without a type field (npx tsx direct.ts)", async () => {
    const dir = project("none");
    writeFileSync(join(dir, "direct.ts"), direct(thenLog));
    const run = await runNode([TSX_CLI, "direct.ts"], { cwd: dir });
    assert.equal(run.stderr, "");
    assert.equal(run.stdout, "Hello, Ada (cjs)\n");
  });

  it("runs a .mts file with top-level await (npx tsx direct.mts)", async () => {
    const dir = project("commonjs");
    writeFileSync(
      join(dir, "direct.mts"),
      direct(`console.log(await new GreetingWorkflow().run({ name: "Ada" }));\n`),
    );
    const run = await runNode([TSX_CLI, "direct.mts"], { cwd: dir });
    assert.equal(run.stderr, "");
    assert.equal(run.stdout, "Hello, Ada (esm)\n");
  });

  it("gives require() and import the same engine in plain Node.js", async () => {
    const dir = project("commonjs");
    writeFileSync(
      join(dir, "both.cjs"),
      `const required = require("@stepwise/core");
const runtime = require("@stepwise/core/runtime");
import("@stepwise/core").then((imported) => {
  console.log(required.Workflow === imported.Workflow, typeof runtime.reduce);
});
`,
    );
    const run = await runNode(["both.cjs"], { cwd: dir });
    assert.equal(run.stderr, "");
    assert.equal(run.stdout, "true function\n");
  });
});
