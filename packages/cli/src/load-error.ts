/**
 * Turns the error of a module that failed to load into one line that says what to change.
 */
import { readFileSync } from "node:fs";
import { basename, dirname, extname } from "node:path";
import { CliError, describeError, firstLine } from "./cli-error.js";
import type { ModuleFormat } from "./module-format.js";

/** What is known about the module that failed to load. */
export interface FailedModule {
  /** The path as the user gave it. */
  modulePath: string;
  absolutePath: string;
  format: ModuleFormat;
}

/** The {@link CliError} to report for `error`, thrown while loading `module`. */
export function loadError(error: unknown, module: FailedModule): CliError {
  const advice = adviceFor(error, module);
  const quoted = `\`${module.modulePath}\``;
  if (advice !== null) {
    return new CliError(`could not load ${quoted}: ${advice}`, 1, { cause: error });
  }
  return new CliError(`could not load ${quoted}: ${firstLine(describeError(error))}`, 1, {
    cause: error,
    hasStack: true,
  });
}

function adviceFor(error: unknown, module: FailedModule): string | null {
  const { format } = module;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const file = basename(module.absolutePath);
  const ext = extname(file);
  const stem = file.slice(0, file.length - ext.length);
  const typeScript = format.isTypeScript || ext === ".jsx";
  const esmName = `${stem}${typeScript ? ".mts" : ".mjs"}`;
  const cjsName = `${stem}${typeScript ? ".cts" : ".cjs"}`;

  if (
    code === "ERR_REQUIRE_ASYNC_MODULE" ||
    message.includes("Top-level await is currently not supported with the")
  ) {
    return (
      `it uses top-level \`await\`, which CommonJS does not have, and it is CommonJS because ${format.reason}; ` +
      `${toEsm(format, esmName)}, or move the \`await\` into an async function`
    );
  }

  const esmScope =
    /^(require|module|exports|__dirname|__filename) is not defined in ES module scope/.exec(
      message,
    );
  if (esmScope && format.format === "module") {
    return (
      `it uses \`${esmScope[1]}\`, which ES modules do not have, and it is an ES module because ${format.reason}; ` +
      `use \`import\`/\`export\` (and \`import.meta.dirname\`) instead, or rename it to \`${cjsName}\``
    );
  }

  if (error instanceof SyntaxError && !format.isTypeScript && usesDecorators(module.absolutePath)) {
    return (
      `it uses decorators, which Node.js does not run in a JavaScript file; rename it to \`${stem}.ts\` ` +
      "(the CLI compiles TypeScript, decorators included), or add its steps with `workflow.addStep(...)`"
    );
  }

  if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
    const missing = /Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1];
    if (missing !== undefined && isBarePackage(missing)) {
      const name = packageName(missing);
      return (
        `it imports \`${missing}\`, which is not installed where it looks (from ${dirname(module.absolutePath)}); ` +
        `run \`npm install ${name}\` in its project`
      );
    }
    if (missing !== undefined) return `it imports \`${missing}\`, which does not exist`;
  }

  if (code === "ERR_REQUIRE_ESM") {
    return (
      `${firstLine(message)}; it is CommonJS because ${format.reason}: ${toEsm(format, esmName)} ` +
      "so that it can import ES modules"
    );
  }
  return null;
}

function toEsm(format: ModuleFormat, esmName: string): string {
  if (format.packageJson !== null) {
    return `add \`"type": "module"\` to ${format.packageJson}, rename it to \`${esmName}\``;
  }
  return `rename it to \`${esmName}\``;
}

function usesDecorators(path: string): boolean {
  try {
    return /^\s*@[A-Za-z_$][\w$.]*\s*(\(|$)/m.test(readFileSync(path, "utf8"));
  } catch {
    return false;
  }
}

function isBarePackage(specifier: string): boolean {
  return !specifier.startsWith(".") && !specifier.startsWith("/") && !/^[a-z]+:/i.test(specifier);
}

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}
