/**
 * The README's "Use it in your project", done as a user would: pack the three packages (each
 * `prepack` builds its dist/), install the tarballs into new projects outside the repository,
 * and run the README's own code there with `npx tsx` and the `stepwise` command, in a CommonJS
 * package (what `npm init -y` makes) and in an ES module package. zod comes from the registry
 * (`--prefer-offline`: npm's cache when it has it).
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { packPackages, root } from "../../scripts/pack.mjs";

// Without the npm_* variables of the `npm test` that started this file, which npm would read as
// configuration (its prefix, its workspace) in the new projects.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== "INIT_CWD"),
);
env.NO_COLOR = "1";

/** Runs a command in `cwd`; fails the test with its output unless it exits with 0. */
function run(cwd, command, args) {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: 120_000 });
  const output = `${result.stdout}${result.stderr}`;
  assert.equal(
    result.status,
    0,
    `\`${command} ${args.join(" ")}\` in ${cwd} failed (${result.error ?? `exit ${result.status}`}):\n${output}`,
  );
  return output;
}

/** The `index`-th ```ts block under the README heading `heading`. */
function readmeCode(heading, index = 0) {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const start = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `README.md has no section "${heading}"`);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks[index], `README.md's "${heading}" has no TypeScript block ${index + 1}`);
  return blocks[index];
}

/** `npm init -y` in a new folder, with `type` set when given, then `npm install` of `specs`. */
function newProject(name, type, specs) {
  const dir = join(work, name);
  mkdirSync(dir);
  run(dir, "npm", ["init", "-y"]);
  if (type) run(dir, "npm", ["pkg", "set", `type=${type}`]);
  run(dir, "npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...specs]);
  return dir;
}

let work;
let tarballs;

before(() => {
  work = mkdtempSync(join(tmpdir(), "stepwise-install-"));
  tarballs = packPackages(join(work, "tarballs"), env);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * The tarballs the new projects install: all but `@stepwise/sqlite`, whose native addon
 * (better-sqlite3) would be compiled again for each project; its tarball is checked by listing.
 */
function installed() {
  return Object.fromEntries(
    Object.entries(tarballs).filter(([name]) => name !== "@stepwise/sqlite"),
  );
}

describe("the packed packages", () => {
  it("the @stepwise/sqlite tarball holds its built dist/, README.md and LICENSE", () => {
    const listing = execFileSync("tar", ["-tzf", tarballs["@stepwise/sqlite"]], {
      encoding: "utf8",
    });
    for (const file of ["dist/index.js", "dist/index.d.ts", "README.md", "LICENSE"]) {
      assert.ok(listing.includes(`package/${file}`), `@stepwise/sqlite has no ${file}`);
    }
  });

  it("the CLI installs from its tarball without @stepwise/draw, which is on no registry", () => {
    const dir = newProject("without-draw", undefined, [
      tarballs["@stepwise/core"],
      tarballs["@stepwise/cli"],
      "zod@^4",
    ]);
    assert.ok(existsSync(join(dir, "node_modules/@stepwise/cli/dist/main.js")));
    assert.ok(!existsSync(join(dir, "node_modules/@stepwise/draw")));
  });
});

for (const type of ["commonjs", "module"]) {
  describe(`in a new project with "type": "${type}"`, () => {
    let dir;

    before(() => {
      dir = newProject(type, type, [...Object.values(installed()), "zod@^4"]);
      writeFileSync(join(dir, "joke.ts"), readmeCode("Quick start"));
      writeFileSync(join(dir, "hello.ts"), readmeCode("Use it in your project"));
    });

    it("each package has its built dist/, README.md and LICENSE", () => {
      for (const name of Object.keys(installed())) {
        for (const file of ["dist/index.js", "dist/index.d.ts", "README.md", "LICENSE"]) {
          assert.ok(existsSync(join(dir, "node_modules", name, file)), `${name} has no ${file}`);
        }
      }
    });

    it("runs the README's quick start with `npx tsx joke.ts`", () => {
      const output = run(dir, "npx", ["--no", "tsx", "joke.ts"]);
      assert.match(output, /the model's answer to: Analyse this joke: \(the model's answer to:/);
    });

    it("runs the README's hello.ts with `npx stepwise run`", () => {
      const output = run(dir, "npx", [
        "--no",
        "stepwise",
        "run",
        "hello.ts",
        "--input",
        '{"name":"Ada"}',
      ]);
      assert.equal(output.trim(), "Hello, Ada!");
    });

    it("draws hello.ts with `npx stepwise draw`", () => {
      run(dir, "npx", ["--no", "stepwise", "draw", "hello.ts", "-o", "hello.html"]);
      assert.match(readFileSync(join(dir, "hello.html"), "utf8"), /greet/);
    });
  });
}
