import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Event,
  EventValidationError,
  StartEvent,
  StopEvent,
  Workflow,
  WorkflowValidationError,
} from "@stepwise/core";
import { z } from "zod";
import * as zm from "zod/mini";
// zod 3.25.76 (what `npm install zod@3` gives), under an npm alias: its root export is zod 3.
import { z as z3 } from "zod3";

const needsZod4 = /stepwise needs zod 4: run `npm install zod@\^4`/;

describe("zod 3 schemas", () => {
  for (const base of [Event, StartEvent, StopEvent]) {
    it(`are refused by ${base.name}.define with an error that names the field and says to install zod 4`, () => {
      assert.throws(
        () => base.define({ n: z3.number(), ok: z.string() } as never),
        (error: unknown) => {
          assert.ok(error instanceof EventValidationError);
          assert.equal(error.eventType, base.name);
          assert.deepEqual(
            error.issues.map((issue) => issue.path),
            [["n"]],
          );
          assert.match(
            error.message,
            new RegExp(`Field \`n\` is a zod 3 schema in \`${base.name}`),
          );
          assert.match(error.message, needsZod4);
          return true;
        },
      );
    });
  }

  it("are all named when several fields are zod 3", () => {
    assert.throws(
      () => Event.define({ a: z3.string(), b: z3.number() } as never),
      /Fields `a`, `b` are zod 3 schemas/,
    );
  });

  it("are refused as a workflow's `state` option with an invalidOptions problem", () => {
    assert.throws(
      () => new Workflow({ state: z3.object({ hits: z3.number().default(0) }) as never }),
      (error: unknown) => {
        assert.ok(error instanceof WorkflowValidationError);
        const problem = error.problems.find((p) => p.code === "invalidOptions");
        assert.match(problem?.message ?? "", /`state` of Workflow .* is a zod 3 schema/);
        assert.match(error.message, needsZod4);
        return true;
      },
    );
  });

  it("are refused as a workflow class's `static state`", () => {
    class Counter extends Workflow {
      static override state = z3.object({ hits: z3.number().default(0) }) as never;
    }
    assert.throws(() => new Counter(), /`state` of Counter .* is a zod 3 schema/);
  });
});

describe("zod 4 schemas", () => {
  it("are accepted from zod and from zod/mini", () => {
    class Mixed extends Event.define({ a: z.string(), b: zm.number() }) {}
    assert.deepEqual(new Mixed({ a: "x", b: 1 }).toJSON().data, { a: "x", b: 1 });
  });
});
