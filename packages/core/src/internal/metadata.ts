// Node 20 has no `Symbol.metadata`, so standard decorators there get no `context.metadata`
// unless the symbol exists before any decorated class is defined. This module is imported by
// the entry point first; the symbol it creates is the one TypeScript and esbuild look up.
const symbolCtor = Symbol as unknown as { metadata?: symbol };
if (typeof symbolCtor.metadata !== "symbol") {
  Object.defineProperty(Symbol, "metadata", {
    value: Symbol.for("Symbol.metadata"),
    configurable: false,
    writable: false,
  });
}

export {};
