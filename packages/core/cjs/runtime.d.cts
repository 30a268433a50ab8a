// Types of the CommonJS entry of @stepwise/core/runtime: the same module as the ES-module entry.
export * from "../dist/runtime.js";
