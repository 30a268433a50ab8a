/**
 * Where `@step` and `@catchError` record the steps a class declares: in the class's decorator
 * metadata (standard decorators) or in a map keyed by the class (legacy decorators). Either way
 * a class is inspectable without being instantiated.
 */
import "./internal/metadata.js";
import { WorkflowRuntimeError } from "./errors.js";
import type { EventClass } from "./events.js";
import { STEP_DEFS } from "./internal/symbols.js";
import type { RetryPolicy } from "./retry.js";

/** Graph checks a single step may opt out of. */
export type StepGraphCheck = "reachability" | "deadEnd";

/** A step as declared, before the workflow checks it. */
export interface StepDeclaration {
  readonly name: string;
  readonly accepts: readonly EventClass[];
  readonly emits: readonly EventClass[];
  readonly numWorkers: unknown;
  readonly retry: RetryPolicy | undefined;
  readonly catchError: { readonly forSteps: unknown; readonly maxRecoveries: unknown } | null;
  readonly skipGraphChecks: readonly StepGraphCheck[];
  /** As given; checked by the workflow (`validate.ts`). */
  readonly acceptEventSubclasses: unknown;
  readonly fanOut: unknown;
  readonly collect: unknown;
  readonly join: unknown;
  /** Called as `fn.call(workflow, event, ctx)`. */
  readonly fn: (this: unknown, event: any, ctx: any) => unknown;
  /** Unknown option names given to the decorator, reported by the workflow. */
  readonly unknownOptions: readonly string[];
}

const legacySteps = new WeakMap<object, StepDeclaration[]>();

type MetadataHolder = { [Symbol.metadata]?: Record<PropertyKey, unknown> | null };

/** Records a step declared with a standard decorator. */
export function recordStandard(
  metadata: DecoratorMetadataObject | undefined,
  step: StepDeclaration,
): void {
  if (!metadata) {
    throw new WorkflowRuntimeError("noDecoratorMetadata", {});
  }
  const own = Object.hasOwn(metadata, STEP_DEFS)
    ? (metadata[STEP_DEFS] as StepDeclaration[])
    : ((metadata as Record<PropertyKey, unknown>)[STEP_DEFS] = [] as StepDeclaration[]);
  own.push(step);
}

/** Records a step declared with a legacy (`experimentalDecorators`) decorator. */
export function recordLegacy(owner: object, step: StepDeclaration): void {
  const own = legacySteps.get(owner);
  if (own) own.push(step);
  else legacySteps.set(owner, [step]);
}

const cache = new WeakMap<object, readonly StepDeclaration[]>();

/**
 * The steps a class declares, its parents' included; a subclass's step replaces a parent's of
 * the same name.
 */
export function classSteps(
  cls: abstract new (...args: any[]) => unknown,
): readonly StepDeclaration[] {
  const cached = cache.get(cls);
  if (cached) return cached;
  const chain: object[] = [];
  for (let c: object | null = cls; c && c !== Function.prototype; c = Object.getPrototypeOf(c))
    chain.push(c);
  // A subclass's step replaces its parents' of the same name; two of one class both stay, for
  // the workflow to report as a duplicate.
  let steps: StepDeclaration[] = [];
  for (const c of chain.reverse()) {
    const metadata = Object.hasOwn(c, Symbol.metadata)
      ? (c as MetadataHolder)[Symbol.metadata]
      : null;
    const standard =
      metadata && Object.hasOwn(metadata, STEP_DEFS)
        ? (metadata[STEP_DEFS] as StepDeclaration[])
        : [];
    const own = [...standard, ...(legacySteps.get(c) ?? [])];
    const names = new Set(own.map((step) => step.name));
    steps = [...steps.filter((step) => !names.has(step.name)), ...own];
  }
  cache.set(cls, steps);
  return steps;
}
