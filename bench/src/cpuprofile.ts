import { readFileSync } from "node:fs";

/** The parts of V8's .cpuprofile JSON that self-time needs. */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    hitCount?: number;
  }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Self time of one function (or one file), summed over every call site. */
export interface SelfTime {
  readonly name: string;
  readonly location: string;
  readonly selfMs: number;
  /** Share of all sampled time, 0..1. */
  readonly share: number;
}

/** Self time by function and by file, from a .cpuprofile written by `node --cpu-prof`. */
export interface ProfileSummary {
  readonly totalMs: number;
  readonly functions: SelfTime[];
  readonly files: SelfTime[];
}

function shortLocation(url: string, root: string): string {
  if (!url) return "(native)";
  let path = url.replace(/^file:\/\//, "");
  if (path.startsWith(root)) path = path.slice(root.length + 1);
  return path.replace(/^.*node_modules\//, "node_modules/");
}

/**
 * Reads a .cpuprofile and attributes each sample's time to the function it was taken in.
 * A sample's time is the gap to the next sample (the last sample gets the mean gap). With
 * `windows` (monotonic µs, as `process.hrtime` and V8's profiler count), samples outside them
 * (start-up, module loading, warm-up, pauses between repetitions) are left out.
 */
export function summarizeProfile(
  file: string,
  root: string,
  windows?: readonly (readonly [number, number])[],
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  const meanGap = (profile.endTime - profile.startTime) / Math.max(1, samples.length);
  let at = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    at += timeDeltas[i] ?? 0;
    // Keep only samples inside the windows (the timed repetitions), when they are given.
    if (windows && !windows.some(([from, to]) => at >= from && at <= to)) continue;
    const gap = timeDeltas[i + 1] ?? meanGap;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + gap);
  }
  let totalUs = 0;
  const functions = new Map<string, { name: string; location: string; us: number }>();
  const files = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    totalUs += us;
    const location = shortLocation(frame.url, root);
    const name = frame.functionName || "(anonymous)";
    const where = frame.url ? `${location}:${frame.lineNumber + 1}` : location;
    const key = `${name}@${where}`;
    const entry = functions.get(key) ?? { name, location: where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    const fileKey = frame.url ? location : name;
    files.set(fileKey, (files.get(fileKey) ?? 0) + us);
  }
  const toSelf = (name: string, location: string, us: number): SelfTime => ({
    name,
    location,
    selfMs: us / 1000,
    share: totalUs ? us / totalUs : 0,
  });
  return {
    totalMs: totalUs / 1000,
    functions: [...functions.values()]
      .map((f) => toSelf(f.name, f.location, f.us))
      .sort((a, b) => b.selfMs - a.selfMs),
    files: [...files.entries()]
      .map(([file, us]) => toSelf(file, file, us))
      .sort((a, b) => b.selfMs - a.selfMs),
  };
}
