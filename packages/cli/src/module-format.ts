/**
 * Which module system a user's file belongs to, decided as Node.js and tsx decide it: by its
 * extension, and for `.js`/`.ts` by the `"type"` of the nearest package.json.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";

/** The module system of a file, and why, in words an error message can quote. */
export interface ModuleFormat {
  format: "module" | "commonjs";
  /** Why, e.g. "`.cts` files are CommonJS" or "/app/package.json has no \"type\" field". */
  reason: string;
  /** The nearest package.json, when the extension leaves the choice to it. */
  packageJson: string | null;
  /** Whether the file is TypeScript (tsx compiles it, decorators included). */
  isTypeScript: boolean;
}

const ESM_EXTENSIONS = new Set([".mjs", ".mts"]);
const CJS_EXTENSIONS = new Set([".cjs", ".cts"]);
const SCOPED_EXTENSIONS = new Set([".js", ".ts", ".jsx", ".tsx"]);
const TYPESCRIPT_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".tsx"]);

/** The extensions the CLI loads, for messages. */
export const MODULE_EXTENSIONS = [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", ".tsx", ".jsx"];

/** Whether the CLI can load a file with this name. */
export function isModuleFile(path: string): boolean {
  const ext = extname(path);
  return ESM_EXTENSIONS.has(ext) || CJS_EXTENSIONS.has(ext) || SCOPED_EXTENSIONS.has(ext);
}

/** Decides whether `path` (absolute) is an ES module or CommonJS. */
export function moduleFormat(path: string): ModuleFormat {
  const ext = extname(path);
  const isTypeScript = TYPESCRIPT_EXTENSIONS.has(ext);
  if (ESM_EXTENSIONS.has(ext)) {
    return {
      format: "module",
      reason: `\`${ext}\` files are ES modules`,
      packageJson: null,
      isTypeScript,
    };
  }
  if (CJS_EXTENSIONS.has(ext)) {
    return {
      format: "commonjs",
      reason: `\`${ext}\` files are CommonJS`,
      packageJson: null,
      isTypeScript,
    };
  }
  const packageJson = nearestPackageJson(dirname(path));
  if (packageJson === null) {
    return {
      format: "commonjs",
      reason: 'no package.json above it says `"type": "module"`',
      packageJson,
      isTypeScript,
    };
  }
  const type = readType(packageJson);
  if (type === "module") {
    return {
      format: "module",
      reason: `${packageJson} has \`"type": "module"\``,
      packageJson,
      isTypeScript,
    };
  }
  const reason =
    type === undefined
      ? `${packageJson} has no \`"type"\` field`
      : `${packageJson} has \`"type": ${JSON.stringify(type)}\``;
  return { format: "commonjs", reason, packageJson, isTypeScript };
}

// Node stops at the first package.json, even one without a "type" field; so does tsx, which also
// stops at a node_modules folder.
function nearestPackageJson(start: string): string | null {
  let dir = start;
  for (;;) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir || basename(dir) === "node_modules") return null;
    dir = parent;
  }
}

function readType(packageJson: string): unknown {
  try {
    const parsed = JSON.parse(readFileSync(packageJson, "utf8")) as { type?: unknown };
    return parsed.type;
  } catch {
    // Node itself fails on an unreadable package.json, with its own message.
    return undefined;
  }
}
