/**
 * Makes a CommonJS module that the CLI loads see the CLI's own copy of `@stepwise/core`.
 *
 * Events route by class identity, and the CLI recognises a workflow with `instanceof Workflow`,
 * so the module must get the very objects the CLI imported. An ES module does: Node resolves the
 * same file and keeps one instance of it. A CommonJS module loaded through tsx does not: tsx
 * compiles `require()`d ES modules to CommonJS, which makes a second copy of the engine. So before
 * such a module loads, the entries it would `require()` are put in the CommonJS cache, holding the
 * CLI's ES-module namespaces.
 */
import { readFileSync, realpathSync } from "node:fs";
import { createRequire, Module } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as core from "@stepwise/core";
import * as coreRuntime from "@stepwise/core/runtime";

const require = createRequire(import.meta.url);

const ENTRIES: readonly [specifier: string, namespace: object][] = [
  ["@stepwise/core", core],
  ["@stepwise/core/runtime", coreRuntime],
];

/** The folder of the `@stepwise/core` the CLI itself uses. */
export function cliCoreDir(): string {
  return packageDir(fileURLToPath(import.meta.resolve("@stepwise/core")));
}

/**
 * The folder of the `@stepwise/core` that `modulePath` resolves, or null when it finds none.
 */
export function moduleCoreDir(modulePath: string): string | null {
  try {
    return packageDir(createRequire(modulePath).resolve("@stepwise/core"));
  } catch {
    return null;
  }
}

/**
 * Puts the CLI's `@stepwise/core` entries in the CommonJS cache under the files `modulePath`
 * would `require()`, when they belong to the same package as the CLI's (a different copy stays
 * different, and `pickWorkflow` says so).
 */
export function shareCoreWith(modulePath: string): void {
  const own = cliCoreDir();
  const requireFrom = createRequire(modulePath);
  for (const [specifier, namespace] of ENTRIES) {
    let file: string;
    try {
      file = requireFrom.resolve(specifier);
    } catch {
      continue;
    }
    if (packageDir(file) !== own || require.cache[file]?.exports === namespace) continue;
    const entry = new Module(file);
    entry.filename = file;
    entry.exports = namespace;
    entry.loaded = true;
    require.cache[file] = entry;
  }
}

// The real folder of the package a file of it belongs to (the nearest folder with a
// package.json named @stepwise/core; the entries live in its src/, dist/ or cjs/).
function packageDir(file: string): string {
  let dir = dirname(realpathSync(file));
  for (;;) {
    try {
      const text = readFileSync(join(dir, "package.json"), "utf8");
      const name = (JSON.parse(text) as { name?: unknown }).name;
      if (name === "@stepwise/core") return dir;
    } catch {
      // no (readable) package.json here
    }
    const parent = dirname(dir);
    if (parent === dir) return dirname(realpathSync(file));
    dir = parent;
  }
}
