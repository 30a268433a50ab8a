/**
 * Retry policies for steps: when a step fails, its policy decides whether to run it again and after
 * how many seconds. Pure functions of (attempts, elapsed time, error, seed): no clock, no timers,
 * no Node APIs, so this file also runs in browsers and during durable replay.
 *
 * The behaviour is that of the Python library's `workflows/retry_policy.py` (run-llama/llama-agents,
 * itself modelled on tenacity), with camelCase names and option objects for keyword arguments:
 *
 * - `next(elapsedSeconds, attempts, error, { seed })`: `attempts` counts failures so far (1 after
 *   the first). If the retry predicate rejects the error, stop; otherwise the wait computes the
 *   delay `d`, and if the stop condition holds for (attempts, elapsed, upcoming sleep `d`), stop;
 *   else wait `d` seconds. Defaults: retry any error, `waitFixed(5)`, `stopAfterAttempt(3)`.
 * - Waits count retries from 0, like tenacity's `attempt_number - 1`: the policy calls its wait
 *   with n = `max(attempts - 1, 0)`. So `waitExponential()` waits 1, 2, 4, ... seconds (not 2, 4, 8),
 *   `waitIncrementing` starts at `start`, and `waitChain` uses its first wait for the first retry.
 *   This is Python since run-llama/llama-agents#734 (Aug 2026, issue #733); before it, Python
 *   passed `attempts` straight through, skipping each wait's first value (a bug, now fixed there).
 *   Checked by running that `retry_policy.py` on the numbers in `test/retry-policy.test.ts`.
 *
 * Where this differs from Python, on purpose:
 * - Bad arguments throw when the helper is called (Python accepts them and misbehaves later):
 *   negative or NaN seconds, `min > max`, `stopAfterAttempt(0)` (Python would allow it: no retry),
 *   empty `stopAny()` / `stopAll()` / `retryAny()` / `retryAll()` (Python: never / always), unknown
 *   `retryPolicy` options.
 * - Seconds are plain numbers (Python also takes `timedelta`). There are no `|`, `&`, `+`
 *   operators; use `retryAny`/`retryAll`, `stopAny`/`stopAll` and `waitCombine`.
 * - Seeded jitter uses mulberry32 rather than Python's Mersenne Twister, and `retrySeed` hashes with
 *   FNV-1a rather than SHA-256, so seeded delays are reproducible here but not equal to Python's.
 * - A wait that returns a negative or non-finite delay makes `next` throw a `WorkflowRuntimeError`
 *   (code `invalidWait`); a bad argument to a helper throws one with code `invalidRetryOption`.
 * - An exponent that overflows gives `max` (Python's current `wait_exponential` raises
 *   `OverflowError` after about 1000 failures; some versions also fell back to `max`).
 *
 * @module
 */
import { WorkflowRuntimeError } from "./errors.js";

/** What a wait or stop is told about the failure being retried. */
export interface RetryState {
  /** Failures so far for this event at this step: 1 after the first failure. */
  readonly attempts: number;
  /** Seconds since the first attempt of this event at this step. */
  readonly elapsedSeconds: number;
  /** The error of the latest failure. */
  readonly error: Error;
  /**
   * Seed for random waits (a 32-bit integer, see {@link retrySeed}); with it the same failure always
   * gets the same delay. `undefined` means use `Math.random`.
   */
  readonly seed: number | undefined;
}

/**
 * Computes the seconds to wait before the next attempt, as the helpers (`waitFixed`,
 * `waitExponential`, ...) return it. Wherever a wait is taken, a plain function
 * `(state) => seconds` works too; it is described as "custom wait".
 */
export interface Wait {
  (state: RetryState): number;
  /** Human text for drawings, e.g. `"wait 5s"`. */
  describe(): string;
}

/**
 * Decides whether to give up, given the state and the delay the wait chose for the next attempt
 * (`upcomingSleep`, seconds), as the helpers (`stopAfterAttempt`, ...) return it. Wherever a stop is
 * taken, a plain function `(state, upcomingSleep) => boolean` works too.
 */
export interface Stop {
  (state: RetryState, upcomingSleep: number): boolean;
  /** Human text for drawings, e.g. `"stop after 3 attempts"`. */
  describe(): string;
}

/**
 * Decides whether an error is worth retrying at all, as the helpers (`retryIfErrorType`, ...)
 * return it. Wherever a predicate is taken, a plain function `(error) => boolean` works too.
 */
export interface RetryPredicate {
  (error: Error): boolean;
  /**
   * Human text that reads after the word "retry", e.g. `"on TypeError"`,
   * `"when message matches /timeout/"`.
   */
  describe(): string;
}

/**
 * What a step's `retry` option takes: tells the engine whether, and after how many seconds, to run
 * a failed step again.
 */
export interface RetryPolicy {
  /**
   * Returns the seconds to wait before the next attempt, or `null` to stop retrying.
   * @param elapsedSeconds - Seconds since the first attempt of this event at this step.
   * @param attempts - Failures so far: 1 after the first failure.
   * @param error - The latest failure.
   * @param opts - `seed`: a 32-bit integer making random waits deterministic (see {@link retrySeed}).
   */
  next(
    elapsedSeconds: number,
    attempts: number,
    error: Error,
    opts?: { seed?: number },
  ): number | null;
  /** Human text for drawings, e.g. `"retry on any error; wait 5s; stop after 3 attempts"`. */
  describe?(): string;
}

/** Options of {@link retryPolicy}. */
export interface RetryPolicyOptions {
  /**
   * Which errors to retry.
   * @default any error
   */
  retry?: ((error: Error) => boolean) | undefined;
  /**
   * How long to wait before each retry.
   * @default waitFixed(5)
   */
  wait?: ((state: RetryState) => number) | undefined;
  /**
   * When to give up. `stopAfterAttempt(3)` means 3 attempts in total (2 retries).
   * @default stopAfterAttempt(3)
   */
  stop?: ((state: RetryState, upcomingSleep: number) => boolean) | undefined;
}

type WaitLike = (state: RetryState) => number;
type StopLike = (state: RetryState, upcomingSleep: number) => boolean;
type PredicateLike = (error: Error) => boolean;
/** Any class whose instances may be thrown; checked with `instanceof`. */
type ErrorClass = abstract new (...args: never[]) => unknown;

function describedWait(fn: WaitLike, text: string): Wait {
  return Object.assign(fn, { describe: () => text });
}

function describedStop(fn: StopLike, text: string): Stop {
  return Object.assign(fn, { describe: () => text });
}

function describedPredicate(fn: PredicateLike, text: string): RetryPredicate {
  return Object.assign(fn, { describe: () => text });
}

/** The helper's own description, else the function's name: plain functions are accepted too. */
function describeOf(part: WaitLike | StopLike | PredicateLike, kind: string): string {
  const { describe } = part as { describe?: unknown };
  if (typeof describe === "function") return String(describe.call(part));
  return part.name ? `${kind} \`${part.name}\`` : `custom ${kind}`;
}

function formatSeconds(value: number): string {
  return `${value}s`;
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return value.name ? `function ${value.name}` : "a function";
  return String(value);
}

function checkSeconds(helper: string, option: string, value: unknown, allowInfinity = false): void {
  const ok =
    typeof value === "number" &&
    value >= 0 &&
    (allowInfinity ? !Number.isNaN(value) : Number.isFinite(value));
  if (!ok) {
    const kind = allowInfinity ? "a number >= 0 (Infinity allowed)" : "a finite number >= 0";
    throw new WorkflowRuntimeError("invalidRetryOption", {
      method: helper,
      option,
      expected: `${kind} (seconds)`,
      received: show(value),
    });
  }
}

function checkFinite(helper: string, option: string, value: unknown): void {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new WorkflowRuntimeError("invalidRetryOption", {
      method: helper,
      option,
      expected: "a finite number",
      received: show(value),
    });
  }
}

function checkExpBase(helper: string, value: unknown): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new WorkflowRuntimeError("invalidRetryOption", {
      method: helper,
      option: "expBase",
      expected: "a finite number > 0",
      received: show(value),
    });
  }
}

function checkMinMax(helper: string, min: number, max: number): void {
  if (min > max) {
    throw new WorkflowRuntimeError("invalidRetryOption", {
      method: helper,
      expected: "`min` <= `max`",
      received: `min ${min} and max ${max}`,
      hint: "Swap them or raise `max`.",
    });
  }
}

function checkFunctions(
  helper: string,
  what: string,
  parts: readonly unknown[],
  atLeastOne: boolean,
) {
  if (atLeastOne && parts.length === 0) {
    throw new WorkflowRuntimeError("invalidRetryOption", {
      method: helper,
      expected: `at least one ${what}`,
      received: "none",
    });
  }
  parts.forEach((part, index) => {
    if (typeof part !== "function") {
      throw new WorkflowRuntimeError("invalidRetryOption", {
        method: helper,
        argument: index + 1,
        expected: `a ${what} (a function)`,
        received: show(part),
      });
    }
  });
}

/** Exponent for retry `attempts`: 0 on the first retry, as in Python's `max(attempts - 1, 0)`. */
function retryIndex(attempts: number): number {
  return Math.max(attempts - 1, 0);
}

/** `multiplier * base ** n`, where overflow (or 0 * Infinity) means "as large as allowed". */
function exponential(multiplier: number, base: number, n: number, max: number): number {
  const power = base ** n;
  return Number.isFinite(power) ? multiplier * power : max;
}

/** mulberry32: a tiny seeded PRNG; returns a generator of floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform draw in [low, high]; seeded draws repeat, like Python's `random.Random(seed)`. */
function uniform(low: number, high: number, seed: number | undefined): number {
  const random = seed === undefined ? Math.random() : mulberry32(seed)();
  return low + (high - low) * random;
}

/**
 * Hashes a run id, step name and failure count into a 32-bit seed for {@link RetryPolicy.next}, so
 * that replaying the same failure yields the same random delay. Python hashes
 * `"{run_id}:{step_name}:{failures}"`; this hashes the same text with FNV-1a.
 * @param attempts - Failures so far, the same number passed to `next`.
 * @returns An unsigned 32-bit integer.
 */
export function retrySeed(runId: string, stepName: string, attempts: number): number {
  const text = `${runId}:${stepName}:${attempts}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  // Final avalanche (murmur3 fmix32) so nearby inputs give unrelated seeds.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

// ---------------------------------------------------------------------------------------------
// The policy

/**
 * Builds a retry policy from a predicate (which errors), a wait (how long) and a stop (when to give
 * up). With no options: any error, 5 seconds apart, 3 attempts in total.
 * @example
 * ```ts
 * const retry = retryPolicy({
 *   retry: retryIfErrorType(TypeError),
 *   wait: waitExponential({ multiplier: 1, max: 30 }),
 *   stop: stopAfterAttempt(5),
 * });
 * ```
 * @throws {@link WorkflowRuntimeError} (`invalidRetryOption`, `unknownOption`) when an option is
 * not a function or is not one of `retry`, `wait`, `stop`.
 */
export function retryPolicy(
  options: RetryPolicyOptions = {},
): RetryPolicy & { describe(): string } {
  if (typeof options !== "object" || options === null) {
    throw new WorkflowRuntimeError("invalidRetryOption", {
      method: "retryPolicy(options)",
      expected: "an object { retry?, wait?, stop? }",
      received: show(options),
    });
  }
  for (const key of Object.keys(options)) {
    if (key !== "retry" && key !== "wait" && key !== "stop") {
      throw new WorkflowRuntimeError("unknownOption", {
        method: "retryPolicy(options)",
        option: key,
        valid: ["retry", "wait", "stop"],
        hint: "e.g. stop: stopAfterAttempt(3)",
      });
    }
  }
  const { retry, wait = waitFixed(5), stop = stopAfterAttempt(3) } = options;
  const examples = {
    retry: "retryIfErrorType(TypeError)",
    wait: "waitFixed(5)",
    stop: "stopAfterAttempt(3)",
  };
  for (const [key, value] of [
    ["retry", retry],
    ["wait", wait],
    ["stop", stop],
  ] as const) {
    if (value !== undefined && typeof value !== "function") {
      throw new WorkflowRuntimeError("invalidRetryOption", {
        method: "retryPolicy(options)",
        option: key,
        expected: `a function such as ${examples[key]}`,
        received: show(value),
      });
    }
  }
  const text = [
    retry === undefined ? "retry on any error" : `retry ${describeOf(retry, "predicate")}`,
    describeOf(wait, "wait"),
    describeOf(stop, "stop"),
  ].join("; ");
  return {
    next(elapsedSeconds, attempts, error, opts) {
      if (retry !== undefined && !retry(error)) return null;
      const state: RetryState = { attempts, elapsedSeconds, error, seed: opts?.seed };
      const delay = wait(state);
      if (typeof delay !== "number" || !(delay >= 0) || delay === Infinity) {
        throw new WorkflowRuntimeError("invalidWait", { policy: text, received: show(delay) });
      }
      return stop(state, delay) ? null : delay;
    },
    describe: () => text,
  };
}

// ---------------------------------------------------------------------------------------------
// Waits

/** Waits the same number of seconds before every retry. */
export function waitFixed(seconds: number): Wait {
  checkSeconds("waitFixed(seconds)", "seconds", seconds);
  return describedWait(() => seconds, `wait ${formatSeconds(seconds)}`);
}

/** Retries at once, with no wait. */
export function waitNone(): Wait {
  return describedWait(() => 0, "no wait");
}

/** Options of {@link waitExponential} and {@link waitRandomExponential}. */
export interface ExponentialWaitOptions {
  /** @default 1 */
  multiplier?: number;
  /** @default 2 */
  expBase?: number;
  /** Seconds. @default 0 */
  min?: number;
  /** Seconds. @default 60 */
  max?: number;
}

/** Applies the defaults and checks the options of an exponential wait. */
function exponentialOptions(
  helper: string,
  options: ExponentialWaitOptions,
): Required<ExponentialWaitOptions> {
  const { multiplier = 1, expBase = 2, min = 0, max = 60 } = options;
  checkSeconds(helper, "multiplier", multiplier);
  checkExpBase(helper, expBase);
  checkSeconds(helper, "min", min);
  checkSeconds(helper, "max", max, true);
  checkMinMax(helper, min, max);
  return { multiplier, expBase, min, max };
}

/**
 * Waits `multiplier * expBase ** n` seconds, clamped to `min..max`, where `n` is 0 on the first
 * retry (so the defaults give 1, 2, 4, 8, ... up to 60).
 */
export function waitExponential(options: ExponentialWaitOptions = {}): Wait {
  const { multiplier, expBase, min, max } = exponentialOptions("waitExponential", options);
  return describedWait(({ attempts }) => {
    const delay = exponential(multiplier, expBase, retryIndex(attempts), max);
    return Math.max(min, Math.min(delay, max));
  }, `wait exponential ${multiplier}*${expBase}^n s, ${min}..${max}s`);
}

/**
 * Waits `start` seconds before the first retry and `increment` more before each next one, capped
 * at `max` and never below 0 (a negative `increment` counts down).
 */
export function waitIncrementing(
  options: {
    /** Seconds before the first retry. @default 0 */
    start?: number;
    /** Seconds added per retry. @default 100 */
    increment?: number;
    /** Seconds. @default Infinity */
    max?: number;
  } = {},
): Wait {
  const { start = 0, increment = 100, max = Number.POSITIVE_INFINITY } = options;
  const helper = "waitIncrementing";
  checkSeconds(helper, "start", start);
  checkFinite(helper, "increment", increment);
  checkSeconds(helper, "max", max, true);
  const cap = max === Number.POSITIVE_INFINITY ? "" : `, max ${formatSeconds(max)}`;
  return describedWait(
    ({ attempts }) => Math.max(0, Math.min(start + increment * retryIndex(attempts), max)),
    `wait incrementing ${start}+${increment}n s${cap}`,
  );
}

/** Waits a random number of seconds, uniform in `min..max`. */
export function waitRandom(
  options: {
    /** Seconds. @default 0 */
    min?: number;
    /** Seconds. @default 1 */
    max?: number;
  } = {},
): Wait {
  const { min = 0, max = 1 } = options;
  checkSeconds("waitRandom", "min", min);
  checkSeconds("waitRandom", "max", max);
  checkMinMax("waitRandom", min, max);
  return describedWait(({ seed }) => uniform(min, max, seed), `wait random ${min}..${max}s`);
}

/**
 * Exponential backoff plus random jitter: `min(initial * expBase ** n, max) + random(0..jitter)`,
 * capped at `max`, with `n` = 0 on the first retry.
 */
export function waitExponentialJitter(
  options: {
    /** Seconds before the first retry, before jitter. @default 1 */
    initial?: number;
    /** @default 2 */
    expBase?: number;
    /** Seconds. @default 60 */
    max?: number;
    /** Largest random seconds added. @default 1 */
    jitter?: number;
  } = {},
): Wait {
  const { initial = 1, expBase = 2, max = 60, jitter = 1 } = options;
  const helper = "waitExponentialJitter";
  checkSeconds(helper, "initial", initial);
  checkExpBase(helper, expBase);
  checkSeconds(helper, "max", max, true);
  checkSeconds(helper, "jitter", jitter);
  return describedWait(
    ({ attempts, seed }) => {
      const base = Math.min(exponential(initial, expBase, retryIndex(attempts), max), max);
      return Math.min(base + uniform(0, jitter, seed), max);
    },
    `wait exponential ${initial}*${expBase}^n s + random 0..${jitter}s, max ${formatSeconds(max)}`,
  );
}

/**
 * Exponential backoff with full jitter: a random number of seconds between `min` and
 * `multiplier * expBase ** n` (clamped to `min..max`), `n` = 0 on the first retry.
 * Also exported as {@link waitFullJitter}.
 */
export function waitRandomExponential(options: ExponentialWaitOptions = {}): Wait {
  const { multiplier, expBase, min, max } = exponentialOptions("waitRandomExponential", options);
  return describedWait(
    ({ attempts, seed }) => {
      const delay = exponential(multiplier, expBase, retryIndex(attempts), max);
      const upper = Math.max(min, Math.min(delay, max));
      return uniform(min, upper, seed);
    },
    `wait random ${min}..${multiplier}*${expBase}^n s, max ${formatSeconds(max)}`,
  );
}

/** The same as {@link waitRandomExponential} (tenacity's other name for it). */
export const waitFullJitter: typeof waitRandomExponential = waitRandomExponential;

/**
 * Uses the first wait before the first retry, the second before the second, and so on; the last
 * wait repeats once the list runs out.
 * @throws {@link WorkflowRuntimeError} (`invalidRetryOption`) when given no waits.
 */
export function waitChain(...waits: WaitLike[]): Wait {
  checkFunctions("waitChain(...waits)", "wait", waits, true);
  const text = waits.map((w) => describeOf(w, "wait")).join(", then ");
  return describedWait(
    (state) => {
      const wait = waits[Math.min(retryIndex(state.attempts), waits.length - 1)]!;
      return wait(state);
    },
    `${text}${waits.length > 1 ? " (last repeats)" : ""}`,
  );
}

/** Waits the sum of the given waits (e.g. a fixed wait plus random jitter). */
export function waitCombine(...waits: WaitLike[]): Wait {
  checkFunctions("waitCombine(...waits)", "wait", waits, false);
  const text = waits.length === 0 ? "no wait" : waits.map((w) => describeOf(w, "wait")).join(" + ");
  return describedWait((state) => waits.reduce((total, wait) => total + wait(state), 0), text);
}

// ---------------------------------------------------------------------------------------------
// Stops

/**
 * Gives up once `n` attempts have failed, i.e. runs the step at most `n` times in total.
 * @throws {@link WorkflowRuntimeError} (`invalidRetryOption`) unless `n` is an integer >= 1.
 */
export function stopAfterAttempt(n: number): Stop {
  if (!Number.isInteger(n) || n < 1) {
    throw new WorkflowRuntimeError("invalidRetryOption", {
      method: "stopAfterAttempt(n)",
      option: "n",
      expected: "an integer >= 1 (attempts in total, the first run included)",
      received: show(n),
    });
  }
  return describedStop(
    ({ attempts }: RetryState) => attempts >= n,
    `stop after ${n} attempt${n === 1 ? "" : "s"}`,
  );
}

/** Gives up once `seconds` have passed since the first attempt. */
export function stopAfterDelay(seconds: number): Stop {
  checkSeconds("stopAfterDelay(seconds)", "seconds", seconds);
  return describedStop(
    ({ elapsedSeconds }: RetryState) => elapsedSeconds >= seconds,
    `stop after ${formatSeconds(seconds)}`,
  );
}

/**
 * Gives up if waiting for the next attempt would reach `seconds` since the first attempt
 * (elapsed + upcoming wait >= seconds), so no retry starts past the limit.
 */
export function stopBeforeDelay(seconds: number): Stop {
  checkSeconds("stopBeforeDelay(seconds)", "seconds", seconds);
  return describedStop(
    ({ elapsedSeconds }: RetryState, upcomingSleep: number) =>
      elapsedSeconds + upcomingSleep >= seconds,
    `stop before ${formatSeconds(seconds)}`,
  );
}

/**
 * Gives up as soon as any of the stops would.
 * @throws {@link WorkflowRuntimeError} (`invalidRetryOption`) when given no stops.
 */
export function stopAny(...stops: StopLike[]): Stop {
  checkFunctions("stopAny(...stops)", "stop", stops, true);
  return describedStop(
    (state: RetryState, upcomingSleep: number) => stops.some((s) => s(state, upcomingSleep)),
    stops.map((s) => describeOf(s, "stop")).join(" or "),
  );
}

/**
 * Gives up only when every one of the stops would.
 * @throws {@link WorkflowRuntimeError} (`invalidRetryOption`) when given no stops.
 */
export function stopAll(...stops: StopLike[]): Stop {
  checkFunctions("stopAll(...stops)", "stop", stops, true);
  return describedStop(
    (state: RetryState, upcomingSleep: number) => stops.every((s) => s(state, upcomingSleep)),
    stops.map((s) => describeOf(s, "stop")).join(" and "),
  );
}

/** Never gives up (bound the step some other way, e.g. the retry predicate or the workflow timeout). */
export function stopNever(): Stop {
  return describedStop(() => false, "never stop");
}

// ---------------------------------------------------------------------------------------------
// Retry predicates

function checkClasses(helper: string, classes: readonly unknown[]): void {
  classes.forEach((cls, index) => {
    if (typeof cls !== "function") {
      throw new WorkflowRuntimeError("invalidRetryOption", {
        method: helper,
        argument: index + 1,
        expected: "an error class such as TypeError",
        received: show(cls),
      });
    }
  });
}

function classNames(classes: readonly ErrorClass[]): string {
  return classes.map((cls) => cls.name || "anonymous class").join(" or ");
}

/**
 * Retries only errors that are instances of one of the classes (subclasses included). With no
 * classes, any `Error`.
 */
export function retryIfErrorType(...classes: ErrorClass[]): RetryPredicate {
  checkClasses("retryIfErrorType(...classes)", classes);
  const types = classes.length > 0 ? classes : [Error];
  return describedPredicate(
    (error: Error) => types.some((cls) => error instanceof cls),
    `on ${classNames(types)}`,
  );
}

/**
 * Retries every error except instances of the classes (e.g. permanent failures). With no classes,
 * no `Error` is retried.
 */
export function retryIfNotErrorType(...classes: ErrorClass[]): RetryPredicate {
  checkClasses("retryIfNotErrorType(...classes)", classes);
  const types = classes.length > 0 ? classes : [Error];
  return describedPredicate(
    (error: Error) => !types.some((cls) => error instanceof cls),
    `unless ${classNames(types)}`,
  );
}

/** The same as {@link retryIfNotErrorType}. */
export const retryUnlessErrorType: typeof retryIfNotErrorType = retryIfNotErrorType;

/** Retries errors for which your function returns true. */
export function retryIfError(predicate: (error: Error) => boolean): RetryPredicate {
  if (typeof predicate !== "function") {
    throw new WorkflowRuntimeError("invalidRetryOption", {
      method: "retryIfError(predicate)",
      expected: "a function (error) => boolean",
      received: show(predicate),
    });
  }
  const name = predicate.name ? ` \`${predicate.name}\`` : "";
  return describedPredicate(
    (error: Error) => predicate(error) === true,
    `when the error passes${name || " a check"}`,
  );
}

/**
 * The message test of {@link retryIfErrorMessage}: either `message` (the whole message, exactly)
 * or `match` (a regular expression, or its source text, found anywhere in the message).
 */
type MessageTest =
  | { message: string; match?: undefined }
  | { match: RegExp | string; message?: undefined };

function messageTest(
  helper: string,
  test: MessageTest,
): { test(error: Error): boolean; text: string } {
  const { message, match } = (test ?? {}) as { message?: unknown; match?: unknown };
  if ((message === undefined) === (match === undefined)) {
    throw new WorkflowRuntimeError("invalidRetryOption", {
      method: helper,
      expected: "exactly one of `message` (exact text) or `match` (RegExp or pattern)",
      received: message === undefined ? "neither" : "both",
    });
  }
  const textOf = (error: Error) =>
    typeof error?.message === "string" ? error.message : String(error);
  if (message !== undefined) {
    if (typeof message !== "string") {
      throw new WorkflowRuntimeError("invalidRetryOption", {
        method: helper,
        option: "message",
        expected: "a string",
        received: show(message),
      });
    }
    return {
      test: (error) => textOf(error) === message,
      text: `message is ${JSON.stringify(message)}`,
    };
  }
  let pattern: RegExp;
  if (match instanceof RegExp) {
    // Without g/y, test() keeps no lastIndex between calls.
    pattern = new RegExp(match.source, match.flags.replace(/[gy]/g, ""));
  } else if (typeof match === "string") {
    try {
      pattern = new RegExp(match);
    } catch (cause) {
      throw new WorkflowRuntimeError(
        "invalidRetryOption",
        {
          method: helper,
          option: "match",
          expected: "a valid regular expression",
          received: show(match),
        },
        { cause },
      );
    }
  } else {
    throw new WorkflowRuntimeError("invalidRetryOption", {
      method: helper,
      option: "match",
      expected: "a RegExp or a string",
      received: show(match),
    });
  }
  return { test: (error) => pattern.test(textOf(error)), text: `message matches ${pattern}` };
}

/**
 * Retries errors whose message is exactly `message`, or contains a match of `match`.
 * @throws {@link WorkflowRuntimeError} (`invalidRetryOption`) unless exactly one of `message` and `match` is given.
 */
export function retryIfErrorMessage(test: MessageTest): RetryPredicate {
  const { test: matches, text } = messageTest("retryIfErrorMessage({ message } | { match })", test);
  return describedPredicate((error: Error) => matches(error), `when ${text}`);
}

/**
 * Retries errors whose message is not exactly `message`, or contains no match of `match`.
 * @throws {@link WorkflowRuntimeError} (`invalidRetryOption`) unless exactly one of `message` and `match` is given.
 */
export function retryIfNotErrorMessage(test: MessageTest): RetryPredicate {
  const { test: matches, text } = messageTest(
    "retryIfNotErrorMessage({ message } | { match })",
    test,
  );
  return describedPredicate((error: Error) => !matches(error), `unless ${text}`);
}

/**
 * Retries errors whose `cause` chain (the cause, its cause, ...; not the error itself) holds an
 * instance of one of the classes, as in `throw new Error("fetch failed", { cause })`. With no
 * classes, any `Error` cause.
 */
export function retryIfErrorCauseType(...classes: ErrorClass[]): RetryPredicate {
  checkClasses("retryIfErrorCauseType(...classes)", classes);
  const types = classes.length > 0 ? classes : [Error];
  return describedPredicate(
    (error: Error) => {
      const seen = new Set<unknown>([error]);
      let current: unknown = error;
      while (typeof current === "object" && current !== null && "cause" in current) {
        const cause: unknown = current.cause;
        if (types.some((cls) => cause instanceof cls)) return true;
        if (seen.has(cause)) return false; // a cause cycle
        seen.add(cause);
        current = cause;
      }
      return false;
    },
    `when caused by ${classNames(types)}`,
  );
}

function joinPredicates(predicates: readonly PredicateLike[], word: string): string {
  return predicates.map((p) => `(${describeOf(p, "predicate")})`).join(` ${word} `);
}

/**
 * Retries when any of the predicates would.
 * @throws {@link WorkflowRuntimeError} (`invalidRetryOption`) when given no predicates.
 */
export function retryAny(...predicates: PredicateLike[]): RetryPredicate {
  checkFunctions("retryAny(...predicates)", "predicate", predicates, true);
  return describedPredicate(
    (error: Error) => predicates.some((p) => p(error)),
    joinPredicates(predicates, "or"),
  );
}

/**
 * Retries only when every one of the predicates would.
 * @throws {@link WorkflowRuntimeError} (`invalidRetryOption`) when given no predicates.
 */
export function retryAll(...predicates: PredicateLike[]): RetryPredicate {
  checkFunctions("retryAll(...predicates)", "predicate", predicates, true);
  return describedPredicate(
    (error: Error) => predicates.every((p) => p(error)),
    joinPredicates(predicates, "and"),
  );
}

/** Retries every error (the default of {@link retryPolicy}). */
export function retryAlways(): RetryPredicate {
  return describedPredicate(() => true, "on any error");
}

/** Retries no error: the step fails on its first error. */
export function retryNever(): RetryPredicate {
  return describedPredicate(() => false, "on no error");
}
