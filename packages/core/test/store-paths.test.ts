/**
 * Store paths never reach an object's prototype machinery: `__proto__`, `constructor` and
 * `prototype` segments are refused, so a path cannot rewrite the prototype of a stored value.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Context, StartEvent, StopEvent, Workflow, WorkflowRuntimeError } from "@stepwise/core";

function storeOf() {
  const wf = new Workflow().addStep(
    "only",
    { accepts: StartEvent, emits: StopEvent },
    () => new StopEvent(),
  );
  return new Context(wf).store;
}

describe("store paths", () => {
  it("refuses a path through `__proto__` and leaves the array it would have broken working", async () => {
    const store = storeOf();
    await store.set("items", [1, 2]);
    await assert.rejects(store.set("items.__proto__.x", 1), (error: unknown) => {
      assert.ok(error instanceof WorkflowRuntimeError);
      assert.match(error.message, /`__proto__`/);
      return true;
    });
    const items = store.get("items");
    assert.equal(Object.getPrototypeOf(items), Array.prototype);
    assert.deepEqual(
      items.map((n: number) => n * 2),
      [2, 4],
    );
  });

  for (const segment of ["__proto__", "constructor", "prototype"]) {
    it(`refuses \`${segment}\` as a segment of a path to set`, async () => {
      const store = storeOf();
      await assert.rejects(store.set(`user.${segment}.polluted`, true), WorkflowRuntimeError);
      await assert.rejects(store.set(segment, 1), WorkflowRuntimeError);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });

    it(`refuses \`${segment}\` as a segment of a path to get`, async () => {
      const store = storeOf();
      await store.set("user", { name: "ada" });
      assert.throws(() => store.get(`user.${segment}`, null), WorkflowRuntimeError);
    });
  }

  it("still reads and writes keys that merely contain those words", async () => {
    const store = storeOf();
    await store.set("user.constructorName", "Ada");
    await store.set("prototypes.0", "x");
    assert.equal(store.get("user.constructorName"), "Ada");
    assert.deepEqual(store.get("prototypes"), { 0: "x" });
  });
});
