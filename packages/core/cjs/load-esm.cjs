// Loads one of the package's ES-module entries for a CommonJS entry (index.cjs, runtime.cjs).
"use strict";

/**
 * @param {NodeModule} entry the CommonJS entry's own `module`
 * @param {string} path the ES-module entry, relative to the CommonJS entry
 */
module.exports = function loadEsm(entry, path) {
  try {
    return entry.require(path);
  } catch (error) {
    if (error && error.code === "ERR_REQUIRE_ESM") {
      throw Object.assign(
        new Error(
          `@stepwise/core is an ES module, and this Node.js (${process.version}) cannot require() ES modules: ` +
            "use Node.js 20.19 or later (or 22.12 or later), or load it with import().",
          { cause: error },
        ),
        { code: "ERR_REQUIRE_ESM" },
      );
    }
    throw error;
  }
};
