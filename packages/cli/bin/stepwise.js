#!/usr/bin/env node
// The `stepwise` command. Runs the built CLI (dist/) when there is one; in a workspace that has
// not been built, runs the TypeScript sources through tsx with the `@stepwise/source` condition.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const built = new URL("../dist/main.js", import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const source = fileURLToPath(new URL("../src/main.ts", import.meta.url));
  const child = spawnSync(
    process.execPath,
    [
      "--conditions=@stepwise/source",
      "--import",
      import.meta.resolve("tsx"),
      source,
      ...process.argv.slice(2),
    ],
    { stdio: "inherit" },
  );
  process.exit(child.status ?? 1);
}
