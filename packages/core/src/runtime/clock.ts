/** Time for the engine: `now()` and timers, injected so that tests control them. */

/** A source of time and timers. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The longest delay the global `setTimeout` honours (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

/** A timer longer than the platform allows, re-armed in steps until it falls due. */
class LongTimer {
  handle: ReturnType<typeof setTimeout> | undefined;
}

function armLong(timer: LongTimer, fn: () => void, dueAt: number): void {
  const left = dueAt - Date.now();
  if (left <= MAX_TIMER_MS) timer.handle = globalThis.setTimeout(fn, Math.max(0, left));
  else timer.handle = globalThis.setTimeout(() => armLong(timer, fn, dueAt), MAX_TIMER_MS);
}

/**
 * The real clock: `Date.now()` and the global timers. Delays longer than `setTimeout` allows
 * (days, weeks) are chained, so they fire when due rather than at once.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    if (!(ms > MAX_TIMER_MS)) return globalThis.setTimeout(fn, ms);
    const timer = new LongTimer();
    armLong(timer, fn, Date.now() + ms);
    return timer;
  },
  clearTimeout: (handle) => {
    const inner = handle instanceof LongTimer ? handle.handle : handle;
    globalThis.clearTimeout(inner as ReturnType<typeof setTimeout>);
  },
};

interface PendingTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/** Lets promise callbacks and real zero-delay timers run before the next simulated timer. */
function settle(): Promise<void> {
  return new Promise((resolve) => globalThis.setTimeout(resolve, 0));
}

/**
 * A clock whose time moves only when a test says so: `await clock.advance(60_000)` fires a
 * 60-second timeout at once. Timers fire in due order (ties in the order they were set), and
 * pending promise callbacks run between them.
 *
 * @example
 * const clock = new TestClock();
 * const wf = new MyWorkflow({ runtime: new InMemoryRuntime({ clock }) });
 * const handler = wf.run();
 * await clock.advance(60_000);
 */
export class TestClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: PendingTimer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), fn };
    this.#timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  /** How many timers are waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, in order, and
   * letting the work each one starts settle before the next.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    while (true) {
      const next = this.#nextDue(target);
      if (!next) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      await settle();
    }
    this.#now = target;
    await settle();
  }

  #nextDue(limit: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const timer of this.#timers) {
      if (timer.at > limit) continue;
      if (!best || timer.at < best.at || (timer.at === best.at && timer.id < best.id)) best = timer;
    }
    return best;
  }
}
