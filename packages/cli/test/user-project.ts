/**
 * Throwaway projects shaped like a user's: a folder with its own package.json (of a chosen
 * `"type"`) and a node_modules that links the workspace's built packages, as an install would.
 * Tests that use them run the built CLI (dist/), so `buildPackages()` comes first.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const require = createRequire(import.meta.url);
const packagesDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The `"type"` a project's package.json has: a value, or none at all (`npm init -y`). */
export type PackageType = "module" | "commonjs" | "none";

/**
 * Builds core, draw and the CLI (`tsc -b`, incremental: quick when nothing changed), so that
 * projects get what a user installs: `dist/`, not the TypeScript sources.
 */
export async function buildPackages(): Promise<void> {
  const tsc = require.resolve("typescript/bin/tsc");
  try {
    await promisify(execFile)(process.execPath, [tsc, "-b", join(packagesDir, "cli")]);
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`tsc -b packages/cli failed:\n${stdout}${stderr}`);
  }
}

/** Options of {@link createUserProject}. */
export interface UserProjectOptions {
  /** The folder's name. @default `type-<type>` */
  name?: string;
  /**
   * Install a copy of @stepwise/core's package.json and sources instead of a link: another copy
   * of the engine than the CLI's (loaded from source, under the `@stepwise/source` condition).
   */
  copyCore?: boolean;
}

/**
 * Makes a project folder under `root` with a package.json of `type` and node_modules links to
 * @stepwise/core, @stepwise/cli and zod. Returns its path.
 */
export function createUserProject(
  root: string,
  type: PackageType,
  options: UserProjectOptions = {},
): string {
  const dir = join(root, options.name ?? `type-${type}`);
  mkdirSync(join(dir, "node_modules", "@stepwise"), { recursive: true });
  const manifest: Record<string, unknown> = { name: `user-${type}`, version: "1.0.0" };
  if (type !== "none") manifest.type = type;
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  const core = join(dir, "node_modules", "@stepwise", "core");
  if (options.copyCore) {
    for (const entry of ["package.json", "src"]) {
      cpSync(join(packagesDir, "core", entry), join(core, entry), { recursive: true });
    }
  } else {
    symlinkSync(join(packagesDir, "core"), core);
  }
  symlinkSync(join(packagesDir, "cli"), join(dir, "node_modules", "@stepwise", "cli"));
  const zod = realpathSync(dirname(require.resolve("zod/package.json")));
  symlinkSync(zod, join(dir, "node_modules", "zod"));
  return dir;
}

/** The path of the CLI's bin in a project, as `npx stepwise` runs it. */
export function projectBin(projectDir: string): string {
  return join(projectDir, "node_modules", "@stepwise", "cli", "bin", "stepwise.js");
}

/** tsx's command, as `npx tsx` runs it. */
export const TSX_CLI = require.resolve("tsx/cli");
