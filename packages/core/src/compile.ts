/**
 * From a workflow's step declarations to what the control loop needs: per-step config, the
 * routing table (event type -> accepting steps, subclasses included where a step asks for them)
 * and which `collect` steps gather the collections of each `fanOut` step.
 */
import type { RunConfig, StepConfig } from "./control-loop/run-state.js";
import type { EventClass } from "./events.js";
import type { StepDeclaration } from "./step-registry.js";

/** Whether `step` receives events of class `cls`. */
export function stepAccepts(step: StepDeclaration, cls: EventClass): boolean {
  if (step.accepts.includes(cls)) return true;
  return (
    step.acceptEventSubclasses === true && step.accepts.some((a) => cls.prototype instanceof a)
  );
}

function stepConfig(declared: StepDeclaration): StepConfig {
  const config: {
    numWorkers: number;
    maxRecoveries: number | null;
    collect?: { take: number | null };
    join?: readonly string[];
    fanOut?: boolean;
  } = {
    numWorkers: Number(declared.numWorkers),
    maxRecoveries: declared.catchError ? Number(declared.catchError.maxRecoveries) : null,
  };
  const collect = declared.collect as true | { take: number } | null;
  if (collect) config.collect = { take: collect === true ? null : collect.take };
  if (declared.join === true) config.join = declared.accepts.map((cls) => cls.eventType);
  if (declared.fanOut === true) config.fanOut = true;
  return config;
}

/** The loop's view of a workflow. Routes start with the declared classes; others are added on first sight. */
export function compileRunConfig(steps: readonly StepDeclaration[]): RunConfig {
  const stepConfigs: Record<string, StepConfig> = {};
  for (const declared of steps) stepConfigs[declared.name] = stepConfig(declared);
  const routes: Record<string, string[]> = Object.create(null);
  const config: RunConfig = { steps: stepConfigs, routes, catchOwners: {}, bindings: {} };
  const known = new Set<EventClass>();
  for (const declared of steps)
    for (const cls of [...declared.accepts, ...declared.emits]) known.add(cls);
  for (const cls of known) addRoutes(config, steps, cls);
  return { ...config, bindings: collectBindings(steps) };
}

/** Adds the route of `cls` (every step that receives it, in declaration order) if missing. */
export function addRoutes(
  config: RunConfig,
  steps: readonly StepDeclaration[],
  cls: EventClass,
): void {
  const routes = config.routes as Record<string, string[]>;
  const type = cls.eventType;
  if (Object.hasOwn(routes, type)) return;
  const accepting = steps.filter((step) => stepAccepts(step, cls)).map((step) => step.name);
  if (accepting.length > 0 || steps.some((step) => step.acceptEventSubclasses === true))
    routes[type] = accepting;
}

/**
 * For each `fanOut` step, the `collect` steps that gather its collections: those accepting an
 * event produced at the collection's level (the fanned-out events and what steps make of them,
 * one event at a time; a nested fan-out contributes what its own collectors make).
 */
export function collectBindings(steps: readonly StepDeclaration[]): Record<string, string[]> {
  const memo = new Map<StepDeclaration, StepDeclaration[]>();
  const collectors = steps.filter((step) => step.collect);
  const bindingsOf = (
    source: StepDeclaration,
    visiting: Set<StepDeclaration>,
  ): StepDeclaration[] => {
    const cached = memo.get(source);
    if (cached) return cached;
    if (visiting.has(source)) return [];
    visiting.add(source);
    const level = levelEvents(source, visiting);
    const bound = collectors.filter((c) => [...level].some((cls) => stepAccepts(c, cls)));
    visiting.delete(source);
    memo.set(source, bound);
    return bound;
  };
  const levelEvents = (source: StepDeclaration, visiting: Set<StepDeclaration>) => {
    const events = new Set<EventClass>(source.emits);
    const pending = [...source.emits];
    const seen = new Set<StepDeclaration>();
    while (pending.length > 0) {
      const cls = pending.pop() as EventClass;
      for (const step of steps) {
        if (step.collect || seen.has(step) || !stepAccepts(step, cls)) continue;
        seen.add(step);
        const made =
          step.fanOut === true
            ? bindingsOf(step, visiting).flatMap((collector) => collector.emits)
            : step.emits;
        for (const out of made) {
          if (events.has(out)) continue;
          events.add(out);
          pending.push(out);
        }
      }
    }
    return events;
  };
  const bindings: Record<string, string[]> = {};
  for (const step of steps) {
    if (step.fanOut !== true) continue;
    bindings[step.name] = bindingsOf(step, new Set()).map((c) => c.name);
  }
  return bindings;
}
