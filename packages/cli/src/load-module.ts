/**
 * Loads a user's module, TypeScript or JavaScript, ES module or CommonJS, with the module system
 * Node.js would give it, and with the CLI's own copy of `@stepwise/core`.
 */
import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Workflow } from "@stepwise/core";
import { register as registerCommonJs } from "tsx/cjs/api";
import { register as registerEsm } from "tsx/esm/api";
import { CliError } from "./cli-error.js";
import { loadError } from "./load-error.js";
import { isModuleFile, MODULE_EXTENSIONS, moduleFormat } from "./module-format.js";
import { shareCoreWith } from "./share-core.js";

/** Options of {@link importModule}. */
export interface ImportModuleOptions {
  /** Where to say how the module is loaded (`--verbose`). */
  log?: (line: string) => void;
}

const require = createRequire(import.meta.url);
let isTsxRegistered = false;

/**
 * Imports a module by path, with TypeScript support, as an ES module or as CommonJS (by its
 * extension and the nearest package.json's `"type"`, as Node.js decides).
 *
 * tsx's hooks are registered for the whole process (tsx's `register()`), not scoped with
 * `tsImport()`: a scoped import gives the module its own copy of every file outside
 * node_modules, so in a workspace its `@stepwise/core` would not be the CLI's, and
 * `instanceof Workflow` (and routing, which is by class identity) would fail. Both of tsx's
 * hooks are needed: the CommonJS one compiles `.ts` and `.cts` files that Node's own `require`
 * loads. A CommonJS module is loaded with `require` rather than `import()`: through `import()`,
 * Node 20 gives a `.cts` file a `require` that cannot load ES modules such as `@stepwise/core`.
 *
 * @returns the module's exports; a CommonJS module's `module.exports`, or `{ default: ... }`
 * when that is a function or a workflow instance.
 * @throws {@link CliError} when the file is missing or fails to load, saying what to change.
 */
export async function importModule(
  modulePath: string,
  options: ImportModuleOptions = {},
): Promise<Record<string, unknown>> {
  const absolutePath = resolve(modulePath);
  if (!existsSync(absolutePath) || !statSync(absolutePath).isFile()) {
    throw new CliError(`module \`${modulePath}\` not found (looked for ${absolutePath})`);
  }
  if (!isModuleFile(absolutePath)) {
    throw new CliError(
      `\`${modulePath}\` is not a module the CLI can load; pass a ${MODULE_EXTENSIONS.join(", ")} file`,
    );
  }
  if (!isTsxRegistered) {
    registerEsm();
    registerCommonJs();
    isTsxRegistered = true;
  }
  const format = moduleFormat(absolutePath);
  const kind = format.format === "module" ? "an ES module" : "CommonJS";
  options.log?.(`loading \`${modulePath}\` as ${kind}: ${format.reason}`);
  // Also for ES modules: one of them may import a CommonJS file that requires the engine.
  shareCoreWith(absolutePath);
  try {
    if (format.format === "module") {
      return (await import(pathToFileURL(absolutePath).href)) as Record<string, unknown>;
    }
    return commonJsExports(require(absolutePath));
  } catch (error) {
    throw loadError(error, { modulePath, absolutePath, format });
  }
}

// What `import()` of the file would give: named exports, and `module.exports` as the default.
function commonJsExports(exports: unknown): Record<string, unknown> {
  if (exports === null || typeof exports !== "object" || exports instanceof Workflow) {
    return { default: exports };
  }
  const named: Record<string, unknown> = {};
  for (const key of Object.keys(exports)) {
    if (key !== "__esModule") named[key] = (exports as Record<string, unknown>)[key];
  }
  return named;
}
