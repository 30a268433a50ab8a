/**
 * Failures as data: an error written as a failure record and read back (through real JSON) keeps
 * its name, message, stack, cause chain, fields and `nonRetryable` flag, and is an instance of
 * its own class when that class is built in, stepwise's, or declared.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Event,
  isNonRetryable,
  nonRetryable,
  SnapshotError,
  StepwiseError,
  WorkflowValidationError,
} from "@stepwise/core";
import {
  createErrorRegistry,
  createEventRegistry,
  decodeFailure,
  decodeValue,
  encodeFailure,
  encodeValue,
  errorClassProblems,
} from "@stepwise/core/runtime";
import { z } from "zod";

class Order extends Event.define({ id: z.string() }) {}
const events = createEventRegistry([Order]);

class HttpError extends Error {
  override readonly name: string = "HttpError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}
class NotFoundError extends HttpError {
  override readonly name = "NotFoundError";
}
class PaymentRefusedError extends Error {
  override readonly name = "PaymentRefusedError";
  readonly nonRetryable = true;
}

/** An error written as a failure record, through JSON, and read back with `classes` declared. */
function roundTrip(error: Error, classes: (new (...args: any[]) => Error)[] = []): Error {
  const json = JSON.parse(JSON.stringify(encodeFailure(error, encodeValue)));
  return decodeFailure(json, (v) => decodeValue(v, events), createErrorRegistry(classes));
}

describe("failure records", () => {
  it("keep an error's name, message and stack", () => {
    const error = new Error("disk full");
    const back = roundTrip(error);
    assert.ok(back instanceof Error);
    assert.equal(back.name, "Error");
    assert.equal(back.message, "disk full");
    assert.equal(back.stack, error.stack);
  });

  it("keep a cause chain, errors and other values alike", () => {
    const root = new RangeError("too big");
    const middle = new Error("parse failed", { cause: root });
    const top = new Error("step failed", { cause: middle });
    const back = roundTrip(top);
    const cause = back.cause as Error;
    assert.equal(cause.message, "parse failed");
    assert.ok(cause.cause instanceof RangeError);
    assert.equal((cause.cause as Error).message, "too big");
    const odd = roundTrip(new Error("odd", { cause: { at: new Date(0), why: "x" } }));
    assert.deepEqual(odd.cause, { at: new Date(0), why: "x" });
  });

  it("revive built-in classes as themselves", () => {
    assert.ok(roundTrip(new TypeError("t")) instanceof TypeError);
    assert.ok(roundTrip(new SyntaxError("s")) instanceof SyntaxError);
    const aggregate = roundTrip(
      new AggregateError([new URIError("u"), 7], "all"),
    ) as AggregateError;
    assert.ok(aggregate instanceof AggregateError);
    assert.ok(aggregate.errors[0] instanceof URIError);
    assert.equal(aggregate.errors[1], 7);
  });

  it("revive stepwise's own errors as themselves, with their fields", () => {
    const error = new SnapshotError("stepsDiffer", "steps differ", { path: "run.steps" });
    const back = roundTrip(error) as SnapshotError;
    assert.ok(back instanceof SnapshotError);
    assert.ok(back instanceof StepwiseError);
    assert.equal(back.name, "SnapshotError");
    assert.equal(back.code, "stepsDiffer");
    assert.equal(back.path, "run.steps");
    const invalid = new WorkflowValidationError("Flow", [{ code: "noSteps", message: "none" }]);
    const revived = roundTrip(invalid) as WorkflowValidationError;
    assert.ok(revived instanceof WorkflowValidationError);
    assert.deepEqual(revived.problems, invalid.problems);
  });

  it("revive a declared class as itself without calling its constructor", () => {
    let constructed = 0;
    class CountedError extends Error {
      override readonly name = "CountedError";
      readonly detail = "kept";
      constructor(message: string) {
        super(message);
        constructed++;
      }
    }
    const back = roundTrip(new CountedError("c"), [CountedError]) as CountedError;
    assert.equal(constructed, 1);
    assert.ok(back instanceof CountedError);
    assert.equal(back.detail, "kept");
  });

  it("revive an undeclared subclass as its nearest declared ancestor, keeping its name", () => {
    const back = roundTrip(new NotFoundError("no order 7", 404), [HttpError]) as HttpError;
    assert.ok(back instanceof HttpError);
    assert.equal(back.name, "NotFoundError");
    assert.equal(back.status, 404);
  });

  it("revive an undeclared class as an Error with its name and fields", () => {
    const back = roundTrip(new HttpError("bad gateway", 502));
    assert.ok(!(back instanceof HttpError));
    assert.ok(back instanceof Error);
    assert.equal(back.name, "HttpError");
    assert.equal((back as Error & { status?: number }).status, 502);
  });

  it("keep events and tagged values in fields", () => {
    const error = Object.assign(new Error("refused"), {
      order: new Order({ id: "o-1" }),
      seen: new Set([1, 2]),
    });
    const back = roundTrip(error) as Error & { order: Order; seen: Set<number> };
    assert.ok(back.order instanceof Order);
    assert.equal(back.order.id, "o-1");
    assert.deepEqual(back.seen, new Set([1, 2]));
  });

  it("leave out fields that cannot be written and keep the rest", () => {
    const error = Object.assign(new Error("partial"), { fn: () => 1, code: "E_PART" });
    const back = roundTrip(error) as Error & { fn?: unknown; code?: unknown };
    assert.equal(back.code, "E_PART");
    assert.equal(Object.hasOwn(back, "fn"), false);
  });

  it("cut a cause cycle instead of hanging", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    const back = roundTrip(a);
    assert.equal((back.cause as Error).message, "b");
    assert.equal(Object.hasOwn(back.cause as Error, "cause"), false);
  });

  it("write the same error to the same text every time", () => {
    const error = new HttpError("x", 500);
    assert.equal(
      JSON.stringify(encodeFailure(error, encodeValue)),
      JSON.stringify(encodeFailure(error, encodeValue)),
    );
  });

  it("are read by the value codec, and read the value codec's error tags", () => {
    const error = new HttpError("teapot", 418);
    const viaValues = decodeValue(encodeFailure(error, encodeValue), events) as HttpError;
    assert.equal(viaValues.name, "HttpError");
    assert.equal(viaValues.status, 418);
    const tag = encodeValue(error);
    const back = decodeFailure(
      tag,
      (v) => decodeValue(v, events),
      createErrorRegistry([HttpError]),
    );
    assert.equal(back.message, "teapot");
    assert.equal((back as HttpError).status, 418);
  });

  it("refuse a malformed record, naming the field", () => {
    const json = JSON.parse(JSON.stringify(encodeFailure(new Error("x"), encodeValue)));
    json.cause = { $stepwise: "error", kind: "Error", name: "Error" };
    assert.throws(
      () => decodeFailure(json, (v) => decodeValue(v, events)),
      (error) =>
        error instanceof SnapshotError &&
        error.code === "malformed" &&
        error.path === "cause.message",
    );
  });
});

describe("nonRetryable", () => {
  it("marks an error and the mark survives a failure record", () => {
    const error = nonRetryable(new Error("bad input"));
    assert.equal(isNonRetryable(error), true);
    const json = encodeFailure(error, encodeValue);
    assert.equal(json.nonRetryable, true);
    assert.equal(json.fields, undefined);
    assert.equal(isNonRetryable(roundTrip(error)), true);
  });

  it("is read from an error class that declares it", () => {
    const back = roundTrip(new PaymentRefusedError("card declined"), [PaymentRefusedError]);
    assert.ok(back instanceof PaymentRefusedError);
    assert.equal(isNonRetryable(back), true);
  });

  it("is false for errors that do not set it, and for values that are not errors", () => {
    assert.equal(isNonRetryable(new Error("x")), false);
    assert.equal(isNonRetryable("nonRetryable"), false);
    assert.equal(isNonRetryable(null), false);
  });
});

describe("declared error classes", () => {
  it("are refused when anonymous, not errors, or named like another class", () => {
    const Anonymous = (() => class extends Error {})();
    class Impostor extends Error {}
    Object.defineProperty(Impostor, "name", { value: "TypeError" });
    class Twin extends Error {}
    const OtherTwin = (() => class Twin extends Error {})();
    const problems = errorClassProblems("Flow", [Anonymous, Date, Impostor, Twin, OtherTwin]);
    assert.equal(problems.length, 4);
    assert.match(problems[0] ?? "", /anonymous/);
    assert.match(problems[1] ?? "", /extends Error/);
    assert.match(problems[2] ?? "", /`TypeError`/);
    assert.match(problems[3] ?? "", /two classes named `Twin`/);
    assert.deepEqual(errorClassProblems("Flow", [HttpError, NotFoundError]), []);
  });
});
