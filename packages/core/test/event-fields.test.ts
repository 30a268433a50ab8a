/**
 * Events whose fields are plain `z.string()`, `z.number()` and `z.boolean()` are checked without a
 * zod parse (the engine builds many): whatever the input, they must come out exactly as zod's
 * parse says, and every other schema must still be parsed by zod.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Event, EventValidationError } from "@stepwise/core";
import { z } from "zod";

const shape = { s: z.string(), n: z.number(), b: z.boolean() };
class PlainEvent extends Event.define(shape) {}
class ChildEvent extends PlainEvent.define({ extra: z.number() }) {}

/** What `new cls(input)` gives: its own fields, or the paths zod's issues name. */
function outcome(make: () => Event): { fields?: Record<string, unknown>; paths?: string[] } {
  try {
    return { fields: { ...make() } };
  } catch (error) {
    assert.ok(error instanceof EventValidationError);
    return { paths: error.issues.map((issue) => issue.path.join(".")).sort() };
  }
}

function zodOutcome(schema: z.ZodObject, input: unknown) {
  const parsed = schema.safeParse(input);
  return parsed.success
    ? { fields: { ...parsed.data } }
    : { paths: parsed.error.issues.map((issue) => issue.path.join(".")).sort() };
}

const inputs: Record<string, unknown>[] = [
  { s: "a", n: 1, b: true },
  { s: "", n: -0, b: false },
  { s: "a", n: 1.5e308, b: true, unknown: "dropped" },
  { s: "a", n: Number.NaN, b: true },
  { s: "a", n: Number.POSITIVE_INFINITY, b: true },
  { s: "a", n: Number.NEGATIVE_INFINITY, b: true },
  { s: "a", n: "1", b: true },
  { s: 1, n: 1, b: "true" },
  { s: "a", b: true },
  { s: undefined, n: 1, b: true },
  { s: null, n: null, b: null },
  { s: new String("a"), n: new Number(1), b: new Boolean(true) },
  Object.assign(Object.create({ s: "inherited" }), { n: 1, b: true }),
  {},
];

describe("events with plain fields", () => {
  it("come out of every input exactly as zod's parse does", () => {
    const schema = z.object(shape);
    for (const input of inputs) {
      assert.deepEqual(
        outcome(() => new PlainEvent(input as never)),
        zodOutcome(schema, input),
      );
    }
  });

  it("keep their parent's fields checked the same way in a subclass", () => {
    const schema = z.object({ ...shape, extra: z.number() });
    for (const input of inputs) {
      const withExtra = { ...input, extra: 2 };
      assert.deepEqual(
        outcome(() => new ChildEvent(withExtra as never)),
        zodOutcome(schema, withExtra),
      );
    }
    assert.deepEqual(outcome(() => new ChildEvent({ s: "a", n: 1, b: true } as never)).paths, [
      "extra",
    ]);
  });

  it("are frozen, with the declared fields in declaration order", () => {
    const ev = new PlainEvent({ b: true, n: 2, s: "x", other: 1 } as never);
    assert.ok(Object.isFrozen(ev));
    assert.deepEqual(Object.keys(ev), ["s", "n", "b"]);
  });
});

describe("events whose fields are not plain", () => {
  const cases: [string, z.ZodObject, Record<string, unknown>][] = [
    ["a check (min length)", z.object({ s: z.string().min(2) }), { s: "a" }],
    ["a format (integer)", z.object({ n: z.int() }), { n: 1.5 }],
    ["a format (email)", z.object({ s: z.email() }), { s: "not an email" }],
    ["coercion", z.object({ n: z.coerce.number() }), { n: "7" }],
    ["a refinement", z.object({ s: z.string().refine((v) => v === "ok") }), { s: "a" }],
    ["an optional", z.object({ s: z.string().optional() }), {}],
    ["a default", z.object({ n: z.number().default(3) }), {}],
    ["a transform", z.object({ s: z.string().transform((v) => v.length) }), { s: "abc" }],
  ];
  for (const [what, schema, input] of cases) {
    it(`are parsed by zod when a field has ${what}`, () => {
      class Custom extends Event.define(schema.shape) {}
      assert.deepEqual(
        outcome(() => new Custom(input)),
        zodOutcome(schema, input),
      );
    });
  }
});
