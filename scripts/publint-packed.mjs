/**
 * `npm run publint`: publint on each published package as packed, i.e. on the tarball npm would
 * publish (built by its `prepack`), not on the working tree.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packPackages, root } from "./pack.mjs";

const dir = mkdtempSync(join(tmpdir(), "stepwise-publint-"));
try {
  let failed = false;
  for (const tarball of Object.values(packPackages(dir))) {
    const publint = join(root, "node_modules", ".bin", "publint");
    const result = spawnSync(publint, ["run", tarball], { cwd: root, stdio: "inherit" });
    if (result.status !== 0) failed = true;
  }
  process.exitCode = failed ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
