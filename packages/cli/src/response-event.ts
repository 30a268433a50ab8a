/**
 * Which `HumanResponseEvent` answers an `InputRequiredEvent` of a run, and how an answer typed on
 * the terminal, piped in or given with `--respond` becomes one.
 *
 * The candidates, in order: the event classes a step is waiting for (`ctx.waitForEvent`, read
 * from the run's snapshot, with the wait's `requirements` as fields), then every
 * `HumanResponseEvent` subclass a step accepts. An answer that is a JSON object gives the
 * event's fields; plain text goes into the class's `response` field. The first candidate the
 * answer fits is sent.
 */
import {
  Event,
  type EventClass,
  EventValidationError,
  HumanResponseEvent,
  type InputRequiredEvent,
  type Workflow,
  type WorkflowHandler,
} from "@stepwise/core";
import { firstLine } from "./cli-error.js";

/** An answer: a JSON object of fields, or plain text. */
export type Answer =
  | { kind: "fields"; fields: Record<string, unknown>; text: string }
  | { kind: "text"; text: string };

/** An event class that can answer, with fields a wait requires. */
export interface ResponseTarget {
  eventClass: EventClass;
  requirements: Record<string, unknown>;
  /** The id of the wait it resolves, when a step is waiting for it. */
  waiterId: string | null;
}

/** An answer that fits none of the candidates; the message says what would fit. */
export class AnswerMismatch {
  constructor(readonly message: string) {}
}

/**
 * Reads an answer: text starting with `{` is a JSON object of fields, anything else plain text.
 * @returns an {@link AnswerMismatch} for text that starts with `{` but is not a JSON object.
 */
export function parseAnswerLine(line: string): Answer | AnswerMismatch {
  const text = line.trim();
  if (!text.startsWith("{")) return { kind: "text", text };
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      return { kind: "fields", fields: value as Record<string, unknown>, text };
    }
  } catch (error) {
    return new AnswerMismatch(
      `the answer is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  return new AnswerMismatch("the answer is not a JSON object");
}

/**
 * The candidate response classes for `request`, best first.
 * @param knownClasses event classes to look waited-for types up in (the module's exports)
 * @param answered ids of waits the CLI already answered
 */
export function responseTargets(
  workflow: Workflow,
  handler: WorkflowHandler,
  request: InputRequiredEvent,
  knownClasses: readonly EventClass[],
  answered: ReadonlySet<string>,
): ResponseTarget[] {
  const byType = new Map<string, EventClass>();
  for (const cls of [...workflow.events, ...knownClasses]) {
    if (!byType.has(cls.eventType)) byType.set(cls.eventType, cls);
  }
  const targets: ResponseTarget[] = [];
  const waits = openWaits(handler).filter((wait) => !answered.has(wait.id));
  // A wait whose requirements the request carries (say, the same `requestId`) is the one asking.
  const fields = request.toJSON().data;
  const matches = (wait: OpenWait) =>
    Object.entries(wait.requirements).every(([key, value]) => fields[key] === value);
  waits.sort((a, b) => Number(matches(b)) - Number(matches(a)));
  for (const wait of waits) {
    const eventClass = byType.get(wait.eventType);
    if (eventClass) {
      targets.push({ eventClass, requirements: wait.requirements, waiterId: wait.id });
    }
  }
  for (const cls of workflow.events) {
    const isResponse = cls === HumanResponseEvent || cls.prototype instanceof HumanResponseEvent;
    if (isResponse && !targets.some((target) => target.eventClass === cls)) {
      targets.push({ eventClass: cls, requirements: {}, waiterId: null });
    }
  }
  return targets;
}

/**
 * Makes the event `answer` gives: for the first target it fits.
 * @returns the event and its target, or an {@link AnswerMismatch} saying what would fit.
 */
export function buildResponse(
  answer: Answer,
  targets: readonly ResponseTarget[],
): { event: Event; target: ResponseTarget } | AnswerMismatch {
  const problems: string[] = [];
  for (const target of targets) {
    const names = fieldNames(target.eventClass);
    let fields: Record<string, unknown>;
    if (answer.kind === "fields") fields = { ...target.requirements, ...answer.fields };
    else if (names.includes("response")) fields = { ...target.requirements, response: answer.text };
    else {
      problems.push(
        `\`${target.eventClass.eventType}\` has no \`response\` field for a plain-text answer; answer with a JSON object of ${describeFields(target.eventClass)}`,
      );
      continue;
    }
    try {
      const Class = target.eventClass as unknown as new (fields: object) => Event;
      return { event: new Class(fields), target };
    } catch (error) {
      problems.push(
        `it is not a valid \`${target.eventClass.eventType}\` (${describeInvalid(error)}); it takes ${describeFields(target.eventClass)}`,
      );
    }
  }
  return new AnswerMismatch(problems.join("; "));
}

/** How to answer with the first target, for the line under the question. */
export function describeAnswer(target: ResponseTarget): string {
  const cls = target.eventClass;
  const text = fieldNames(cls).includes("response") ? "text, or " : "";
  return `answer as ${cls.eventType}: ${text}a JSON object of ${describeFields(cls)}`;
}

// The field issues of a validation error, on one line; the message of any other error.
function describeInvalid(error: unknown): string {
  if (error instanceof EventValidationError && error.issues.length > 0) {
    return error.issues
      .map((issue) => {
        const field = issue.path.length > 0 ? issue.path.map(String).join(".") : "(fields)";
        return `\`${field}\`: ${issue.message}`;
      })
      .join("; ");
  }
  return firstLine(error instanceof Error ? error.message : String(error));
}

function fieldNames(cls: EventClass): string[] {
  return Object.keys(shapeOf(cls));
}

/** `approved (boolean), reviewer (string, optional)`; `no fields` for a class without any. */
function describeFields(cls: EventClass): string {
  const shape = shapeOf(cls);
  const fields = Object.entries(shape).map(
    ([name, schema]) => `${name} (${describeSchema(schema)})`,
  );
  return fields.length > 0 ? fields.join(", ") : "no fields";
}

function shapeOf(cls: EventClass): Record<string, unknown> {
  const schema = (cls as unknown as typeof Event).schema as { shape?: unknown } | undefined;
  const shape = schema?.shape;
  return shape !== null && typeof shape === "object" ? (shape as Record<string, unknown>) : {};
}

// Reads a zod schema's kind without importing zod (the CLI only inspects the user's schemas).
function describeSchema(schema: unknown): string {
  let def = defOf(schema);
  let isOptional = false;
  while (def?.type === "optional" || def?.type === "default" || def?.type === "prefault") {
    isOptional = true;
    def = defOf(def.innerType);
  }
  const type = typeof def?.type === "string" ? def.type : "any";
  return isOptional ? `${type}, optional` : type;
}

function defOf(schema: unknown): { type?: unknown; innerType?: unknown } | undefined {
  return (schema as { _zod?: { def?: { type?: unknown; innerType?: unknown } } } | null)?._zod?.def;
}

interface OpenWait {
  id: string;
  eventType: string;
  requirements: Record<string, unknown>;
}

// The run's open waits, from its snapshot (a versioned JSON format): `run.steps.<name>.waiters`.
function openWaits(handler: WorkflowHandler): OpenWait[] {
  let run: unknown;
  try {
    run = handler.ctx.toJSON().run;
  } catch {
    // A store value JSON cannot carry makes the snapshot fail; fall back to the graph.
    return [];
  }
  const steps = (run as { steps?: Record<string, { waiters?: unknown }> } | null)?.steps ?? {};
  const waits: OpenWait[] = [];
  for (const step of Object.values(steps)) {
    if (!Array.isArray(step.waiters)) continue;
    for (const waiter of step.waiters as Record<string, unknown>[]) {
      if (waiter.resolved != null || waiter.timedOut === true) continue;
      if (typeof waiter.id !== "string" || typeof waiter.eventType !== "string") continue;
      const requirements = waiter.requirements;
      waits.push({
        id: waiter.id,
        eventType: waiter.eventType,
        requirements:
          requirements !== null && typeof requirements === "object"
            ? (requirements as Record<string, unknown>)
            : {},
      });
    }
  }
  return waits;
}

/** The event classes among a module's exports. */
export function exportedEventClasses(moduleExports: Record<string, unknown>): EventClass[] {
  return Object.values(moduleExports).filter(
    (value): value is EventClass =>
      typeof value === "function" && (value as { prototype?: unknown }).prototype instanceof Event,
  );
}
