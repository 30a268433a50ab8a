import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { SqliteRuntime } from "@stepwise/sqlite";
import { runtimeSuite } from "../../core/test/conformance/runtime-suite.ts";

const dir = mkdtempSync(join(tmpdir(), "stepwise-sqlite-conformance-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = () => join(dir, `journal-${++files}.db`);

runtimeSuite("sqlite", (options) => new SqliteRuntime({ path: newFile(), ...options }), {
  storage: () => {
    const path = newFile();
    return {
      open: () => new SqliteRuntime({ path }),
      // In one process, closing is the crash: the runs stay unfinished in the file, and the
      // runtime writes nothing more.
      crash: (runtime) => (runtime as SqliteRuntime).close(),
    };
  },
});
