// Installs the bench's own dependencies (the peer engines) into bench/node_modules on first use
// (`npm run bench`, `npm run bench:profile`, `npm run typecheck`), and again after
// bench/package-lock.json changes. They are kept out of the repository's
// `npm ci`: Mastra wants Node 22 (npm warns EBADENGINE on Node 20) and the llamaindex package is
// deprecated, and no user of stepwise needs them. stepwise itself and tsx come from the
// repository's install (run `npm ci` at the root first).
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const bench = fileURLToPath(new URL("..", import.meta.url));
const lock = new URL("../package-lock.json", import.meta.url);
// npm writes this copy of the lock file at the end of every install.
const installed = new URL("../node_modules/.package-lock.json", import.meta.url);

if (!existsSync(new URL("../../node_modules/@stepwise/core", import.meta.url))) {
  console.error(
    "bench: run `npm ci` at the repository root first (the bench uses its tsx and stepwise).",
  );
  process.exit(1);
}
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  console.error("bench: installing the peer engines into bench/node_modules (npm ci, once) ...");
  execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--prefer-offline"], {
    cwd: bench,
    stdio: "inherit",
  });
}
