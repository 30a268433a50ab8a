/**
 * The LlamaIndex workflow debugger's `dist/` (app.js, app.css) for the browser test, without
 * installing its dependencies: `npm pack` of the pinned version (from npm's cache when it has
 * it), checked against the pinned integrity, unpacked into test-artifacts/ (git-ignored).
 *
 * The package lists React and @llamaindex/ui as dependencies, but its dist/app.js is a bundle
 * that needs none of them; installing it would add hundreds of packages to the repository's lock.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const DEBUGGER_VERSION = "0.2.42";
const INTEGRITY =
  "sha512-fliwVD/M9bSGuhiaSnoJkynCqU+tLs0rjRVmFS+FaiGHL6SxWDi9mWPaLoOP1XmnPBq8p/vCJFpE6l2oGu+gTg==";

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, "..", "test-artifacts", `workflow-debugger-${DEBUGGER_VERSION}`);

/** The folder with the debugger's app.js and app.css, unpacked on first use. */
export function debuggerAssets(): string {
  const dist = join(target, "package", "dist");
  if (existsSync(join(dist, "app.js")) && existsSync(join(dist, "app.css"))) return dist;
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const out = execFileSync(
    "npm",
    [
      "pack",
      `@llamaindex/workflow-debugger@${DEBUGGER_VERSION}`,
      "--json",
      "--prefer-offline",
      "--pack-destination",
      target,
    ],
    // Without the npm_* variables of an `npm test` (its workspace, its prefix).
    { cwd: target, env: npmFreeEnv(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  const tarball = join(target, (JSON.parse(out) as { filename: string }[])[0]?.filename ?? "");
  const digest = `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`;
  if (digest !== INTEGRITY) {
    rmSync(target, { recursive: true, force: true });
    throw new Error(`the debugger tarball's integrity is ${digest}, expected ${INTEGRITY}`);
  }
  execFileSync("tar", [
    "-xzf",
    tarball,
    "-C",
    target,
    "package/dist/app.js",
    "package/dist/app.css",
  ]);
  rmSync(tarball);
  return dist;
}

function npmFreeEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== "INIT_CWD"),
  );
}
