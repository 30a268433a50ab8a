/**
 * Workflow checks, in the Python library's order: declarations and start/stop inference (cheap,
 * run by the constructor), then the graph checks (run by `validate()` and the first `run()`).
 */

import { stepAccepts } from "./compile.js";
import type { ValidationProblem } from "./errors.js";
import { Event, type EventClass, eventRole } from "./events.js";
import type { StepDeclaration } from "./step-registry.js";
import { checkCollectors, checkFlowOptions } from "./validate-flow.js";

/** Graph checks that `skipGraphChecks` may turn off. */
export type GraphCheckName = "reachability" | "terminalEvent" | "deadEnd";
export const GRAPH_CHECK_NAMES: readonly GraphCheckName[] = [
  "deadEnd",
  "reachability",
  "terminalEvent",
];
const STEP_CHECK_NAMES = new Set(["reachability", "deadEnd"]);

const names = (classes: Iterable<EventClass>) => [...classes].map((c) => c.eventType);
const quoted = (items: readonly string[]) => items.map((s) => `\`${s}\``).join(", ");

function isEventClass(value: unknown): value is EventClass {
  return typeof value === "function" && (value === Event || value.prototype instanceof Event);
}

/** Start and stop classes inferred from the steps. */
export interface Inferred {
  readonly startClasses: readonly EventClass[];
  readonly stopClasses: readonly EventClass[];
}

/** Which start and stop classes the steps accept and emit. */
export function inferStartStop(steps: readonly StepDeclaration[]): Inferred {
  const start = new Set<EventClass>();
  const stop = new Set<EventClass>();
  for (const step of steps) {
    for (const cls of step.accepts)
      if (isEventClass(cls) && eventRole(cls) === "start") start.add(cls);
    for (const cls of step.emits) if (isEventClass(cls) && eventRole(cls) === "stop") stop.add(cls);
  }
  return { startClasses: [...start], stopClasses: [...stop] };
}

/** The checks that need no graph walk: options of each step, start/stop, skip names. */
export function checkDeclarations(
  workflowName: string,
  steps: readonly StepDeclaration[],
  skipGraphChecks: readonly string[],
): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  for (const step of steps) {
    const where = `step \`${step.name}\` in ${workflowName}`;
    if (step.unknownOptions.length > 0) {
      problems.push({
        code: "invalidStepOptions",
        steps: [step.name],
        message: `Unknown option(s) ${quoted(step.unknownOptions)} on ${where}; valid options are \`accepts\`, \`emits\`, \`numWorkers\`, \`retry\`, \`name\`, \`skipGraphChecks\`, \`acceptEventSubclasses\`, \`fanOut\`, \`collect\`, \`join\`.`,
      });
    }
    problems.push(...checkFlowOptions(step, where));
    const n = step.numWorkers;
    if (typeof n !== "number" || !Number.isInteger(n) || n <= 0) {
      problems.push({
        code: "invalidStepOptions",
        steps: [step.name],
        message: `\`numWorkers\` of ${where} must be an integer greater than 0; got ${JSON.stringify(n) ?? String(n)}.`,
      });
    }
    if (step.accepts.length === 0) {
      problems.push({
        code: "invalidStepOptions",
        steps: [step.name],
        message: `${where} accepts no event; set \`accepts\` to the event class(es) it receives.`,
      });
    }
    for (const [option, list] of [
      ["accepts", step.accepts],
      ["emits", step.emits],
    ] as const) {
      for (const cls of list) {
        if (!isEventClass(cls)) {
          problems.push({
            code: "invalidStepOptions",
            steps: [step.name],
            message: `\`${option}\` of ${where} must list event classes (made with \`Event.define\`); got ${String(cls)}.`,
          });
        }
      }
    }
    if (step.retry !== undefined && typeof step.retry?.next !== "function") {
      problems.push({
        code: "invalidStepOptions",
        steps: [step.name],
        message: `\`retry\` of ${where} must be a retry policy (an object with \`next()\`, e.g. from \`retryPolicy()\`).`,
      });
    }
    for (const check of step.skipGraphChecks) {
      if (!STEP_CHECK_NAMES.has(check)) {
        problems.push({
          code: "unknownGraphCheck",
          steps: [step.name],
          message: `Unknown graph check \`${check}\` in \`skipGraphChecks\` of ${where}. Valid names are: deadEnd, reachability.`,
        });
      }
    }
  }
  for (const check of skipGraphChecks) {
    if (!(GRAPH_CHECK_NAMES as readonly string[]).includes(check)) {
      problems.push({
        code: "unknownGraphCheck",
        message: `Unknown graph check names: ${check}. Valid names are: ${GRAPH_CHECK_NAMES.join(", ")}.`,
      });
    }
  }
  if (steps.length === 0) return problems;
  const { startClasses, stopClasses } = inferStartStop(steps);
  if (startClasses.length === 0) {
    problems.push({
      code: "noStartStep",
      message: `At least one Event of type StartEvent must be received by any step. (Workflow \`${workflowName}\` has no step that accepts StartEvent.)`,
    });
  } else if (startClasses.length > 1) {
    problems.push({
      code: "multipleStartEvents",
      events: names(startClasses),
      message: `Only one type of StartEvent is allowed per workflow, found ${startClasses.length}: ${quoted(names(startClasses))} in workflow \`${workflowName}\`.`,
    });
  }
  if (stopClasses.length === 0) {
    problems.push({
      code: "noStopStep",
      message: `At least one Event of type StopEvent must be returned by any step. (Workflow \`${workflowName}\` has no step that emits StopEvent.)`,
    });
  } else if (stopClasses.length > 1) {
    problems.push({
      code: "multipleStopEvents",
      events: names(stopClasses),
      message: `Only one type of StopEvent is allowed per workflow, found ${stopClasses.length}: ${quoted(names(stopClasses))} in workflow \`${workflowName}\`.`,
    });
  }
  return problems;
}

/** Two steps of one workflow share a name. */
export function duplicateStepProblem(workflowName: string, step: string): ValidationProblem {
  return {
    code: "duplicateStep",
    steps: [step],
    message: `A step \`${step}\` is already part of ${workflowName}; choose another name.`,
  };
}

/** The problem of a workflow with no steps at all. */
export function noStepsProblem(workflowName: string): ValidationProblem {
  return {
    code: "noSteps",
    message: `Workflow \`${workflowName}\` has no configured steps. Did you forget to decorate methods with @step or to add steps with \`addStep()\`?`,
  };
}

/** Every check: declarations, then the event flow, `@catchError` and graph checks. */
export function checkWorkflow(
  workflowName: string,
  steps: readonly StepDeclaration[],
  skipGraphChecks: readonly string[],
): ValidationProblem[] {
  if (steps.length === 0) return [noStepsProblem(workflowName)];
  const problems = checkDeclarations(workflowName, steps, skipGraphChecks);
  if (problems.length > 0) return problems;
  const skip = new Set(skipGraphChecks);
  const { startClasses } = inferStartStop(steps);
  const startClass = startClasses[0] as EventClass;

  const byType = new Map<string, EventClass>();
  for (const step of steps) {
    for (const cls of [...step.accepts, ...step.emits]) {
      const other = byType.get(cls.eventType);
      if (other && other !== cls) {
        problems.push({
          code: "duplicateEventType",
          events: [cls.eventType],
          message: `Two different event classes have the \`eventType\` \`${cls.eventType}\`; give one of them another name or a \`static eventType\`.`,
        });
      }
      byType.set(cls.eventType, cls);
    }
  }

  const stopAcceptors = steps.filter((s) => s.accepts.some((c) => eventRole(c) === "stop"));
  if (stopAcceptors.length > 0) {
    const label = stopAcceptors.length === 1 ? "Step" : "Steps";
    problems.push({
      code: "acceptsStopEvent",
      steps: stopAcceptors.map((s) => s.name),
      message: `${label} ${quoted(stopAcceptors.map((s) => s.name))} cannot accept StopEvent. StopEvent signals the end of the workflow. Use a different Event type instead.`,
    });
  }

  const produced = new Set<EventClass>([startClass]);
  const consumed = new Set<EventClass>();
  for (const step of steps) {
    for (const cls of step.emits) produced.add(cls);
    for (const cls of step.accepts) consumed.add(cls);
  }
  const subclassing = steps.filter((s) => s.acceptEventSubclasses === true);
  const producedFor = (cls: EventClass) =>
    produced.has(cls) ||
    (subclassing.some((s) => s.accepts.includes(cls)) &&
      [...produced].some((p) => p.prototype instanceof cls));
  const neverProduced = [...consumed].filter(
    (cls) =>
      !producedFor(cls) &&
      !["inputRequired", "humanResponse", "stop", "stepFailed"].includes(eventRole(cls)),
  );
  if (neverProduced.length > 0) {
    problems.push({
      code: "consumedNeverProduced",
      events: names(neverProduced),
      message: `The following events are consumed but never produced: ${quoted(names(neverProduced))}. Add them to a step's \`emits\`, or remove them from \`accepts\`.`,
    });
  }
  const neverConsumed = [...produced].filter(
    (cls) =>
      cls !== startClass &&
      !consumed.has(cls) &&
      !subclassing.some((s) => stepAccepts(s, cls)) &&
      !["inputRequired", "humanResponse", "stop"].includes(eventRole(cls)),
  );
  if (neverConsumed.length > 0) {
    problems.push({
      code: "producedNeverConsumed",
      events: names(neverConsumed),
      message: `The following events are produced but never consumed: ${quoted(names(neverConsumed))}. Add a step that accepts them, or remove them from \`emits\`.`,
    });
  }

  problems.push(...checkCatchHandlers(steps));
  problems.push(...checkCollectors(steps));
  if (problems.length > 0) return problems;

  const handlers = steps.filter((s) => s.catchError);
  if (!skip.has("reachability")) {
    const reachableEvents = new Set<EventClass>([startClass]);
    for (const step of steps)
      for (const cls of step.accepts)
        if (eventRole(cls) === "humanResponse") reachableEvents.add(cls);
    const reachable = new Set<StepDeclaration>(handlers);
    for (const h of handlers) for (const cls of h.emits) reachableEvents.add(cls);
    let grew = true;
    while (grew) {
      grew = false;
      for (const step of steps) {
        if (reachable.has(step) || ![...reachableEvents].some((c) => stepAccepts(step, c)))
          continue;
        reachable.add(step);
        for (const cls of step.emits) reachableEvents.add(cls);
        grew = true;
      }
    }
    const unreachable = steps.filter(
      (s) => !reachable.has(s) && !s.skipGraphChecks.includes("reachability"),
    );
    if (unreachable.length > 0) {
      problems.push({
        code: "unreachable",
        steps: unreachable.map((s) => s.name),
        message: `Unreachable steps: ${quoted(unreachable.map((s) => s.name))}. Steps must be reachable from StartEvent or a HumanResponseEvent.`,
      });
    }
  }
  // The `terminalEvent` check (only stop and input-required events may end a path) is the
  // `producedNeverConsumed` check above, which has already returned if it failed; the name
  // stays valid in `skipGraphChecks` for parity with the Python library.
  if (!skip.has("deadEnd")) {
    const goal = (cls: EventClass) => ["stop", "inputRequired"].includes(eventRole(cls));
    const reaches = new Set<StepDeclaration>();
    let grew = true;
    while (grew) {
      grew = false;
      for (const step of steps) {
        if (reaches.has(step)) continue;
        const ok = step.emits.some(
          (cls) =>
            goal(cls) || steps.some((other) => reaches.has(other) && stepAccepts(other, cls)),
        );
        if (ok) {
          reaches.add(step);
          grew = true;
        }
      }
    }
    const deadEnds = steps.filter(
      (s) => s.emits.length > 0 && !reaches.has(s) && !s.skipGraphChecks.includes("deadEnd"),
    );
    if (deadEnds.length > 0) {
      problems.push({
        code: "deadEnd",
        steps: deadEnds.map((s) => s.name),
        message: `Dead-end steps: ${quoted(deadEnds.map((s) => s.name))}. Every step that emits events must lead to a StopEvent or an InputRequiredEvent.`,
      });
    }
  }
  return problems;
}

function checkCatchHandlers(steps: readonly StepDeclaration[]): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const handlers = steps.filter((s) => s.catchError);
  const stepNames = new Set(steps.map((s) => s.name));
  const handlerNames = new Set(handlers.map((s) => s.name));
  const wildcards = handlers.filter((h) => h.catchError?.forSteps == null);
  if (wildcards.length > 1) {
    problems.push({
      code: "invalidCatchError",
      steps: wildcards.map((h) => h.name),
      message: `Only one wildcard @catchError handler is allowed per workflow, found ${wildcards.length}: ${quoted(wildcards.map((h) => h.name))}. Give all but one of them \`forSteps\`.`,
    });
  }
  const owner = new Map<string, string>();
  for (const handler of handlers) {
    const options = handler.catchError as NonNullable<StepDeclaration["catchError"]>;
    const max = options.maxRecoveries;
    if (typeof max !== "number" || !Number.isInteger(max) || max < 1) {
      problems.push({
        code: "invalidCatchError",
        steps: [handler.name],
        message: `@catchError \`maxRecoveries\` of \`${handler.name}\` must be an integer >= 1; got ${JSON.stringify(max)}.`,
      });
    }
    if (
      handler.accepts.length !== 1 ||
      eventRole(handler.accepts[0] as EventClass) !== "stepFailed"
    ) {
      problems.push({
        code: "invalidCatchError",
        steps: [handler.name],
        message: `@catchError handler \`${handler.name}\` must accept StepFailedEvent as its event parameter.`,
      });
    }
    const forSteps = options.forSteps;
    if (forSteps == null) continue;
    if (!Array.isArray(forSteps) || forSteps.some((s) => typeof s !== "string")) {
      problems.push({
        code: "invalidCatchError",
        steps: [handler.name],
        message: `@catchError \`forSteps\` of \`${handler.name}\` must be an array of step names.`,
      });
      continue;
    }
    for (const name of forSteps as string[]) {
      if (!stepNames.has(name)) {
        problems.push({
          code: "invalidCatchError",
          steps: [handler.name],
          message: `@catchError handler \`${handler.name}\` lists unknown step \`${name}\` in \`forSteps\`. Known steps: ${quoted([...stepNames])}.`,
        });
      } else if (handlerNames.has(name)) {
        problems.push({
          code: "invalidCatchError",
          steps: [handler.name, name],
          message: `@catchError handler \`${handler.name}\` cannot cover another handler step \`${name}\`: a handler's own failure is never caught.`,
        });
      } else if (owner.has(name)) {
        problems.push({
          code: "invalidCatchError",
          steps: [name],
          message: `Step \`${name}\` is claimed by two @catchError handlers: \`${owner.get(name)}\` and \`${handler.name}\`.`,
        });
      } else {
        owner.set(name, handler.name);
      }
    }
  }
  return problems;
}

/** For each step, the `@catchError` handler that owns its failures: scoped ones beat the wildcard. */
export function catchOwners(steps: readonly StepDeclaration[]): Record<string, string> {
  const owners: Record<string, string> = {};
  const handlers = steps.filter((s) => s.catchError);
  const wildcard = handlers.find((h) => h.catchError?.forSteps == null);
  for (const handler of handlers) {
    const forSteps = handler.catchError?.forSteps;
    if (Array.isArray(forSteps))
      for (const name of forSteps as string[]) owners[name] = handler.name;
  }
  if (wildcard) {
    for (const step of steps) {
      if (!step.catchError && owners[step.name] === undefined) owners[step.name] = wildcard.name;
    }
  }
  return owners;
}
