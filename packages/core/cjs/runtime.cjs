// The CommonJS entry of @stepwise/core/runtime; see index.cjs.
"use strict";

module.exports = require("./load-esm.cjs")(module, "../dist/runtime.js");
