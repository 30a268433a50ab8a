/**
 * Keeps one instance of each per-run class alive for the life of the process.
 *
 * V8's optimised code refers weakly to the object shapes ("maps") it was compiled for, and a
 * class instance's final shape is reached only through weak transitions from its constructor's
 * first one. When a full garbage collection runs while no run is in progress (an idle server,
 * a test harness calling `gc()`), the last instance of each per-run class is gone, its shape is
 * collected, and every hot function compiled against it is deoptimised: the next runs are
 * several times slower until the engine has warmed up again. One live instance per class keeps
 * its shape, for a few hundred bytes in all. The instances hold no run's data.
 */
const kept: unknown[] = [];

/** Keeps `sample` (and so its shape) alive for the life of the process; returns it. */
export function keepShape<T>(sample: T): T {
  kept.push(sample);
  return sample;
}
