/**
 * The `prepack` of each published package (run by `npm pack` and `npm publish` in its folder):
 * `tsc -b` of the projects given (default: the package's own), always recompiling the package
 * itself. `tsc -b` alone trusts tsconfig.tsbuildinfo and skips a package whose dist/ was
 * deleted, which would pack a tarball without it; `--force` would also rebuild every reference.
 */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";

rmSync("tsconfig.tsbuildinfo", { force: true });
const projects = process.argv.slice(2);
execFileSync("tsc", ["-b", ...(projects.length > 0 ? projects : ["."])], { stdio: "inherit" });
