// The CommonJS entry of @stepwise/core (the "require" condition). The package is an ES module, and
// this file hands the requiring module that same ES module, so an app that both imports and
// requires @stepwise/core still has one copy of it (events route by class identity).
//
// `module.require`, not `require`: a CommonJS file that an ES-module loader hook loads from
// source (tsx does this for `.cts` files) gets a `require` that, on Node 20, cannot load an ES
// module; `module.require` is always Node's own CommonJS loader, which loads ES modules natively
// on Node 20.19+ and 22.12+ (`require(esm)`), and which tsx extends by compiling them.
"use strict";

module.exports = require("./load-esm.cjs")(module, "../dist/index.js");
