import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type RetryState,
  retryAll,
  retryAlways,
  retryAny,
  retryIfError,
  retryIfErrorCauseType,
  retryIfErrorMessage,
  retryIfErrorType,
  retryIfNotErrorMessage,
  retryIfNotErrorType,
  retryNever,
  retryPolicy,
  retrySeed,
  retryUnlessErrorType,
  stopAfterAttempt,
  stopAfterDelay,
  stopAll,
  stopAny,
  stopBeforeDelay,
  stopNever,
  WorkflowRuntimeError,
  waitChain,
  waitCombine,
  waitExponential,
  waitExponentialJitter,
  waitFixed,
  waitFullJitter,
  waitIncrementing,
  waitNone,
  waitRandom,
  waitRandomExponential,
} from "@stepwise/core";

const boom = new Error("boom");

/** Matches a `WorkflowRuntimeError` with `code` and the given fields. */
function misuse(code: string, fields: Record<string, unknown> = {}) {
  return (e: unknown) =>
    e instanceof WorkflowRuntimeError &&
    e.code === code &&
    Object.entries(fields).every(
      ([key, value]) => (e as unknown as Record<string, unknown>)[key] === value,
    );
}

/** The state a wait or stop sees after `attempts` failures. */
function state(attempts: number, extra: Partial<RetryState> = {}): RetryState {
  return { attempts, elapsedSeconds: 0, error: boom, seed: undefined, ...extra };
}

/** Delays a wait gives for failures 1..count. */
function delays(wait: (s: RetryState) => number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => wait(state(i + 1)));
}

class TransientError extends Error {}
class FlakyNetworkError extends TransientError {}
class PermanentError extends Error {}

describe("retryPolicy", () => {
  it("waits 5 seconds after a failure by default", () => {
    assert.equal(retryPolicy().next(0, 1, boom), 5);
  });

  it("stops after 3 attempts in total by default", () => {
    const policy = retryPolicy();
    assert.deepEqual(
      [1, 2, 3].map((attempts) => policy.next(10, attempts, boom)),
      [5, 5, null],
    );
  });

  it("stops without asking the wait when the predicate rejects the error", () => {
    const policy = retryPolicy({
      retry: retryIfErrorType(TransientError),
      wait: () => assert.fail("the wait must not run"),
    });
    assert.equal(policy.next(0, 1, new PermanentError("no")), null);
  });

  it("hands the wait the failures, elapsed seconds, error and seed", () => {
    const seen: RetryState[] = [];
    const policy = retryPolicy({
      wait: (s) => {
        seen.push(s);
        return 1;
      },
    });
    policy.next(2.5, 2, boom, { seed: 42 });
    assert.deepEqual(seen, [{ attempts: 2, elapsedSeconds: 2.5, error: boom, seed: 42 }]);
  });

  it("hands the stop the delay the wait chose", () => {
    const sleeps: number[] = [];
    const policy = retryPolicy({
      wait: waitFixed(7),
      stop: (_s, upcomingSleep) => {
        sleeps.push(upcomingSleep);
        return false;
      },
    });
    policy.next(0, 1, boom);
    assert.deepEqual(sleeps, [7]);
  });

  it("stops when the next wait would cross a stopBeforeDelay limit", () => {
    const policy = retryPolicy({ wait: waitFixed(4), stop: stopBeforeDelay(10) });
    assert.deepEqual([policy.next(5, 1, boom), policy.next(6, 2, boom)], [4, null]);
  });

  it("accepts plain functions for retry, wait and stop", () => {
    const policy = retryPolicy({
      retry: (error) => error.message === "boom",
      wait: (s) => s.attempts * 10,
      stop: (s) => s.attempts >= 4,
    });
    assert.deepEqual(
      [1, 3, 4].map((attempts) => policy.next(0, attempts, boom)),
      [10, 30, null],
    );
  });

  it("rejects an option it does not know, naming it", () => {
    assert.throws(
      () => retryPolicy({ maxAttempts: 3 } as never),
      (e: unknown) =>
        misuse("unknownOption", { method: "retryPolicy(options)", option: "maxAttempts" })(e) &&
        /stopAfterAttempt/.test((e as Error).message),
    );
  });

  it("rejects a wait that is a number rather than a wait", () => {
    assert.throws(
      () => retryPolicy({ wait: 5 as never }),
      (e: unknown) =>
        misuse("invalidRetryOption", { option: "wait", received: "5" })(e) &&
        /`wait` to be a function such as waitFixed\(5\); got 5/.test((e as Error).message),
    );
  });

  it("throws invalidWait when a custom wait returns a negative delay", () => {
    const policy = retryPolicy({ wait: () => -1 });
    assert.throws(() => policy.next(0, 1, boom), misuse("invalidWait", { received: "-1" }));
  });

  it("describes the default policy", () => {
    assert.equal(retryPolicy().describe(), "retry on any error; wait 5s; stop after 3 attempts");
  });

  it("describes a composed policy from its parts", () => {
    const policy = retryPolicy({
      retry: retryIfErrorType(TypeError),
      wait: waitExponential(),
      stop: stopAny(stopAfterAttempt(5), stopAfterDelay(30)),
    });
    assert.equal(
      policy.describe(),
      "retry on TypeError; wait exponential 1*2^n s, 0..60s; stop after 5 attempts or stop after 30s",
    );
  });
});

describe("waitFixed and waitNone", () => {
  it("waitFixed waits the same seconds before every retry", () => {
    assert.deepEqual(delays(waitFixed(2.5), 3), [2.5, 2.5, 2.5]);
  });

  it("waitNone waits 0 seconds", () => {
    assert.deepEqual(delays(waitNone(), 2), [0, 0]);
  });

  it("waitFixed rejects a negative delay, naming the option and value", () => {
    assert.throws(
      () => waitFixed(-1),
      (e: unknown) =>
        misuse("invalidRetryOption", { method: "waitFixed(seconds)", option: "seconds" })(e) &&
        (e as Error).message ===
          "`waitFixed(seconds)` needs `seconds` to be a finite number >= 0 (seconds); got -1",
    );
  });

  it("waitFixed rejects NaN", () => {
    assert.throws(() => waitFixed(Number.NaN), /got NaN/);
  });

  it("describes itself in seconds", () => {
    assert.equal(waitFixed(5).describe(), "wait 5s");
  });
});

describe("waitExponential", () => {
  // Same numbers as Python's wait_exponential under retry_policy: the first retry uses exponent 0.
  it("waits 1, 2, 4, 8 seconds with the defaults", () => {
    assert.deepEqual(delays(waitExponential(), 4), [1, 2, 4, 8]);
  });

  it("scales by multiplier and expBase", () => {
    assert.deepEqual(delays(waitExponential({ multiplier: 0.5, expBase: 3 }), 3), [0.5, 1.5, 4.5]);
  });

  it("caps the delay at max", () => {
    assert.deepEqual(delays(waitExponential({ max: 5 }), 5), [1, 2, 4, 5, 5]);
  });

  it("raises the delay to min", () => {
    assert.deepEqual(delays(waitExponential({ min: 3 }), 3), [3, 3, 4]);
  });

  it("gives max rather than NaN when the power overflows", () => {
    assert.equal(waitExponential({ multiplier: 0 })(state(5000)), 60);
  });

  it("treats attempts 0 like the first failure", () => {
    assert.equal(waitExponential()(state(0)), 1);
  });

  it("rejects min greater than max", () => {
    assert.throws(
      () => waitExponential({ min: 10, max: 5 }),
      /`waitExponential` needs `min` <= `max`; got min 10 and max 5/,
    );
  });

  it("rejects a non-positive expBase", () => {
    assert.throws(() => waitExponential({ expBase: 0 }), /`expBase`.*> 0; got 0/);
  });
});

describe("waitIncrementing", () => {
  it("starts at start and adds increment per retry", () => {
    assert.deepEqual(delays(waitIncrementing({ start: 1, increment: 2 }), 3), [1, 3, 5]);
  });

  it("adds 100 seconds per retry from 0 by default", () => {
    assert.deepEqual(delays(waitIncrementing(), 3), [0, 100, 200]);
  });

  it("caps the delay at max", () => {
    assert.deepEqual(delays(waitIncrementing({ start: 1, increment: 2, max: 4 }), 3), [1, 3, 4]);
  });

  it("never goes below 0 with a negative increment", () => {
    assert.deepEqual(delays(waitIncrementing({ start: 3, increment: -2 }), 3), [3, 1, 0]);
  });
});

describe("random waits", () => {
  it("waitRandom stays within min..max", () => {
    const wait = waitRandom({ min: 2, max: 3 });
    for (const delay of delays(wait, 50)) assert.ok(delay >= 2 && delay <= 3, `${delay}`);
  });

  it("waitRandom gives the same delay for the same seed", () => {
    const wait = waitRandom({ min: 0, max: 10 });
    assert.equal(wait(state(1, { seed: 1234 })), wait(state(1, { seed: 1234 })));
  });

  it("waitRandom gives different delays for different seeds", () => {
    const wait = waitRandom({ min: 0, max: 10 });
    const values = new Set([1, 2, 3, 4].map((seed) => wait(state(1, { seed }))));
    assert.equal(values.size, 4);
  });

  it("waitRandom rejects min greater than max", () => {
    assert.throws(
      () => waitRandom({ min: 2, max: 1 }),
      misuse("invalidRetryOption", { received: "min 2 and max 1" }),
    );
  });

  it("waitExponentialJitter adds at most jitter seconds to the exponential delay", () => {
    const wait = waitExponentialJitter({ initial: 1, jitter: 0.5 });
    const delay = wait(state(3, { seed: 7 }));
    assert.ok(delay >= 4 && delay <= 4.5, `${delay}`);
  });

  it("waitExponentialJitter never exceeds max", () => {
    const wait = waitExponentialJitter({ max: 10, jitter: 5 });
    assert.equal(wait(state(10, { seed: 7 })), 10);
  });

  it("waitRandomExponential draws between min and the exponential delay", () => {
    const wait = waitRandomExponential({ multiplier: 1, min: 1 });
    for (let seed = 0; seed < 50; seed++) {
      const delay = wait(state(4, { seed }));
      assert.ok(delay >= 1 && delay <= 8, `${delay}`);
    }
  });

  it("waitRandomExponential is deterministic for a seed", () => {
    const wait = waitRandomExponential();
    assert.equal(wait(state(3, { seed: 99 })), wait(state(3, { seed: 99 })));
  });

  it("waitFullJitter is waitRandomExponential", () => {
    assert.equal(waitFullJitter, waitRandomExponential);
  });
});

describe("waitChain and waitCombine", () => {
  it("waitChain uses one wait per retry and repeats the last", () => {
    const wait = waitChain(waitFixed(1), waitFixed(2), waitFixed(5));
    assert.deepEqual(delays(wait, 5), [1, 2, 5, 5, 5]);
  });

  it("waitChain throws when given no waits", () => {
    assert.throws(() => waitChain(), /`waitChain\(\.\.\.waits\)` needs at least one wait/);
  });

  it("waitCombine sums its waits", () => {
    assert.deepEqual(
      delays(waitCombine(waitFixed(1), waitIncrementing({ increment: 2 })), 3),
      [1, 3, 5],
    );
  });

  it("waitCombine describes its parts", () => {
    assert.equal(
      waitCombine(waitFixed(3), waitRandom({ min: 0, max: 2 })).describe(),
      "wait 3s + wait random 0..2s",
    );
  });
});

describe("stops", () => {
  it("stopAfterAttempt stops once n attempts have failed", () => {
    const stop = stopAfterAttempt(2);
    assert.deepEqual([stop(state(1), 0), stop(state(2), 0)], [false, true]);
  });

  it("stopAfterAttempt rejects 0 with a message saying what to pass", () => {
    assert.throws(
      () => stopAfterAttempt(0),
      (e: unknown) =>
        misuse("invalidRetryOption", { method: "stopAfterAttempt(n)", option: "n", received: "0" })(
          e,
        ) &&
        (e as Error).message.startsWith("`stopAfterAttempt(n)` needs `n` to be an integer >= 1"),
    );
  });

  it("stopAfterAttempt rejects a fraction", () => {
    assert.throws(() => stopAfterAttempt(2.5), /got 2\.5/);
  });

  it("stopAfterDelay stops once the elapsed seconds reach the limit", () => {
    const stop = stopAfterDelay(10);
    assert.deepEqual(
      [stop(state(1, { elapsedSeconds: 9.9 }), 100), stop(state(1, { elapsedSeconds: 10 }), 0)],
      [false, true],
    );
  });

  it("stopBeforeDelay counts the upcoming sleep", () => {
    const stop = stopBeforeDelay(10);
    const s = state(1, { elapsedSeconds: 6 });
    assert.deepEqual([stop(s, 3.9), stop(s, 4)], [false, true]);
  });

  it("stopAny stops when one of its stops does", () => {
    const stop = stopAny(stopAfterAttempt(5), stopAfterDelay(10));
    assert.equal(stop(state(1, { elapsedSeconds: 11 }), 0), true);
  });

  it("stopAll stops only when all of its stops do", () => {
    const stop = stopAll(stopAfterAttempt(5), stopAfterDelay(10));
    assert.deepEqual(
      [stop(state(1, { elapsedSeconds: 11 }), 0), stop(state(5, { elapsedSeconds: 11 }), 0)],
      [false, true],
    );
  });

  it("stopAny throws when given no stops", () => {
    assert.throws(() => stopAny(), /`stopAny\(\.\.\.stops\)` needs at least one stop/);
  });

  it("stopNever never stops", () => {
    assert.equal(stopNever()(state(1_000_000, { elapsedSeconds: 1e9 }), 1e9), false);
  });
});

describe("retry predicates", () => {
  it("retryIfErrorType retries instances of the classes and their subclasses", () => {
    const retry = retryIfErrorType(TransientError, RangeError);
    assert.deepEqual(
      [new FlakyNetworkError(), new RangeError(), new PermanentError()].map((e) => retry(e)),
      [true, true, false],
    );
  });

  it("retryIfErrorType rejects an argument that is not a class", () => {
    assert.throws(
      () => retryIfErrorType("TypeError" as never),
      misuse("invalidRetryOption", { argument: 1, received: '"TypeError"' }),
    );
  });

  it("retryIfNotErrorType retries everything but the classes", () => {
    const retry = retryIfNotErrorType(PermanentError);
    assert.deepEqual([retry(new PermanentError()), retry(new TransientError())], [false, true]);
  });

  it("retryUnlessErrorType is retryIfNotErrorType", () => {
    assert.equal(retryUnlessErrorType, retryIfNotErrorType);
  });

  it("retryIfError retries when the function returns true", () => {
    const retry = retryIfError((e) => e.message.includes("rate limit"));
    assert.deepEqual([retry(new Error("rate limit hit")), retry(boom)], [true, false]);
  });

  it("retryIfErrorMessage with message needs the exact message", () => {
    const retry = retryIfErrorMessage({ message: "please retry" });
    assert.deepEqual(
      [retry(new Error("please retry")), retry(new Error("please retry later"))],
      [true, false],
    );
  });

  it("retryIfErrorMessage with match searches anywhere in the message", () => {
    const retry = retryIfErrorMessage({ match: /HTTP 5\d\d/ });
    assert.deepEqual(
      [retry(new Error("got HTTP 503 back")), retry(new Error("HTTP 404"))],
      [true, false],
    );
  });

  it("retryIfErrorMessage accepts the pattern as a string", () => {
    assert.equal(retryIfErrorMessage({ match: "time(d )?out" })(new Error("timed out")), true);
  });

  it("retryIfErrorMessage gives the same answer every call for a global RegExp", () => {
    const retry = retryIfErrorMessage({ match: /retry/g });
    const error = new Error("retry me");
    assert.deepEqual([retry(error), retry(error)], [true, true]);
  });

  it("retryIfErrorMessage refuses both message and match", () => {
    assert.throws(
      () => retryIfErrorMessage({ message: "a", match: "b" } as never),
      (e: unknown) =>
        misuse("invalidRetryOption", { received: "both" })(e) &&
        /exactly one of `message`.*or `match`.*got both/.test((e as Error).message),
    );
  });

  it("retryIfErrorMessage refuses neither message nor match", () => {
    assert.throws(
      () => retryIfErrorMessage({} as never),
      misuse("invalidRetryOption", { received: "neither" }),
    );
  });

  it("retryIfNotErrorMessage retries when the message does not match", () => {
    const retry = retryIfNotErrorMessage({ match: /invalid api key/i });
    assert.deepEqual([retry(new Error("Invalid API key")), retry(boom)], [false, true]);
  });

  it("retryIfErrorCauseType finds a class anywhere in the cause chain", () => {
    const root = new TransientError("socket reset");
    const error = new Error("request failed", {
      cause: new Error("fetch failed", { cause: root }),
    });
    assert.equal(retryIfErrorCauseType(TransientError)(error), true);
  });

  it("retryIfErrorCauseType ignores the error itself", () => {
    assert.equal(retryIfErrorCauseType(TransientError)(new TransientError()), false);
  });

  it("retryIfErrorCauseType ends on a cause cycle", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    assert.equal(retryIfErrorCauseType(TransientError)(a), false);
  });

  it("retryAny retries when any predicate does", () => {
    const retry = retryAny(retryIfErrorType(TransientError), retryIfErrorMessage({ match: "429" }));
    assert.deepEqual([retry(new Error("HTTP 429")), retry(boom)], [true, false]);
  });

  it("retryAll retries only when every predicate does", () => {
    const retry = retryAll(
      retryIfErrorType(TransientError),
      retryIfErrorMessage({ match: "temporary" }),
    );
    assert.deepEqual(
      [retry(new TransientError("temporary")), retry(new TransientError("fatal"))],
      [true, false],
    );
  });

  it("retryAll throws when given no predicates", () => {
    assert.throws(() => retryAll(), misuse("invalidRetryOption", { received: "none" }));
  });

  it("retryAlways and retryNever answer the same for every error", () => {
    assert.deepEqual([retryAlways()(boom), retryNever()(boom)], [true, false]);
  });

  it("describes a combined predicate", () => {
    const retry = retryAny(retryIfErrorType(TypeError), retryIfErrorMessage({ match: /429/ }));
    assert.equal(retry.describe(), "(on TypeError) or (when message matches /429/)");
  });
});

describe("retrySeed", () => {
  it("gives the same seed for the same run, step and failure", () => {
    assert.equal(retrySeed("run-1", "fetch", 2), retrySeed("run-1", "fetch", 2));
  });

  it("gives an unsigned 32-bit integer", () => {
    const seed = retrySeed("run-1", "fetch", 1);
    assert.ok(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32, `${seed}`);
  });

  it("gives different seeds for different failures, steps and runs", () => {
    const seeds = new Set([
      retrySeed("run-1", "fetch", 1),
      retrySeed("run-1", "fetch", 2),
      retrySeed("run-1", "parse", 1),
      retrySeed("run-2", "fetch", 1),
    ]);
    assert.equal(seeds.size, 4);
  });

  it("makes a seeded policy give the same jittered delay on replay", () => {
    const policy = retryPolicy({ wait: waitRandomExponential(), stop: stopNever() });
    const seed = retrySeed("run-1", "fetch", 3);
    assert.equal(policy.next(4, 3, boom, { seed }), policy.next(4, 3, boom, { seed }));
  });
});
