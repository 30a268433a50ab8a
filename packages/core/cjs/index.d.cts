// Types of the CommonJS entry: the same module as the ES-module entry.
export * from "../dist/index.js";
