/**
 * Checks of the options that shape how a step takes its input: `acceptEventSubclasses`,
 * `fanOut`, `collect` and `join`.
 */
import { collectBindings } from "./compile.js";
import type { ValidationProblem } from "./errors.js";
import { safeText } from "./internal/describe.js";
import type { StepDeclaration } from "./step-registry.js";

/** Problems with one step's flow options (no graph needed). */
export function checkFlowOptions(step: StepDeclaration, where: string): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const problem = (message: string) =>
    problems.push({ code: "invalidStepOptions", steps: [step.name], message });
  for (const key of ["acceptEventSubclasses", "fanOut", "join"] as const) {
    const value = step[key];
    if (value !== undefined && value !== null && typeof value !== "boolean")
      problem(`\`${key}\` of ${where} must be true or false; got ${safeText(value)}.`);
  }
  const collect = step.collect as unknown;
  if (collect !== null && collect !== undefined && collect !== true) {
    const take = (collect as { take?: unknown }).take;
    const keys = typeof collect === "object" ? Object.keys(collect) : [];
    if (
      typeof collect !== "object" ||
      keys.some((k) => k !== "take") ||
      typeof take !== "number" ||
      !Number.isInteger(take) ||
      take < 1
    ) {
      problem(
        `\`collect\` of ${where} must be true (every event of the collection) or \`{ take: n }\` with an integer n >= 1; got ${safeText(collect)}.`,
      );
    }
  }
  if (step.collect && step.join === true)
    problem(`${where} cannot both \`collect\` and \`join\`; choose one.`);
  if ((step.collect || step.join === true) && step.catchError)
    problem(`A @catchError handler cannot \`collect\` or \`join\` (${where}).`);
  if (step.join === true && step.accepts.length < 2)
    problem(
      `\`join\` on ${where} needs at least two \`accepts\` classes to join; it has ${step.accepts.length}.`,
    );
  if (step.join === true && step.acceptEventSubclasses === true)
    problem(`\`join\` on ${where} matches events by exact class; drop \`acceptEventSubclasses\`.`);
  return problems;
}

/** A `collect` step that no fan-out feeds would never run. */
export function checkCollectors(steps: readonly StepDeclaration[]): ValidationProblem[] {
  const bindings = collectBindings(steps);
  const bound = new Set(Object.values(bindings).flat());
  return steps
    .filter((step) => step.collect && !bound.has(step.name))
    .map((step) => ({
      code: "unboundCollect" as const,
      steps: [step.name],
      message: `Step \`${step.name}\` collects ${step.accepts.map((c) => `\`${c.eventType}\``).join(", ")}, but no \`fanOut\` step's collection produces them. Fan-in gathers what the branches of a fan-out return: declare the step that returns the array with \`fanOut: true\`, or use \`ctx.collectEvents\` for events sent with \`ctx.sendEvent\`.`,
    }));
}
