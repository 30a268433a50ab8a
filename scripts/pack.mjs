/**
 * Packs the published packages as `npm publish` would: with `npm pack`, whose `prepack` script
 * builds each package's dist/ first. Used by the install test and by `npm run publint`.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root directory. */
export const root = fileURLToPath(new URL("..", import.meta.url));

/** The workspaces that are published, in build order. */
export const publishedPackages = [
  "packages/core",
  "packages/draw",
  "packages/cli",
  "packages/sqlite",
  "packages/dbos",
  "packages/otel",
  "packages/server",
  "packages/client",
];

/**
 * Packs every published package into `destination` (created if missing).
 * @returns the tarballs' paths by package name, e.g. `{ "@stepwise/core": ".../stepwise-core-0.1.0.tgz" }`.
 */
export function packPackages(destination, env = process.env) {
  mkdirSync(destination, { recursive: true });
  const workspaces = publishedPackages.flatMap((dir) => ["-w", dir]);
  let out;
  try {
    out = execFileSync(
      "npm",
      ["pack", "--json", "--pack-destination", destination, ...workspaces],
      {
        cwd: root,
        env,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
  } catch (error) {
    // A failed prepack build: tsc's errors are on stdout, npm's on stderr.
    throw new Error(`npm pack failed:\n${error.stdout ?? ""}${error.stderr ?? ""}`, {
      cause: error,
    });
  }
  return Object.fromEntries(JSON.parse(out).map((p) => [p.name, join(destination, p.filename)]));
}
