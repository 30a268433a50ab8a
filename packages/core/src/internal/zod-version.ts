/**
 * Refuses zod 3 schemas where shapes enter the engine. zod is a peer dependency (`^4`): a
 * project that still has zod 3 would otherwise fail inside zod with
 * `Invalid element at key "n": expected a Zod schema`, which does not say that the version is
 * the problem.
 */
import { EventValidationError, INSTALL_ZOD_4, type ValidationProblem } from "../errors.js";

/**
 * Whether `value` is a zod 3 schema. zod 3 keeps a schema's internals under `_def`; zod 4 keeps
 * them under `_zod` (its classic API also keeps `_def`, zod mini only `_zod`).
 */
export function isZod3Schema(value: unknown): boolean {
  return typeof value === "object" && value !== null && "_def" in value && !("_zod" in value);
}

/**
 * Throws when a field of a shape given to `define` is a zod 3 schema.
 * @param definer the class `define` was called on, e.g. `"StartEvent"`.
 * @throws {@link EventValidationError} naming every zod 3 field.
 */
export function assertZod4Shape(definer: string, shape: Readonly<Record<string, unknown>>): void {
  const fields = Object.keys(shape).filter((key) => isZod3Schema(shape[key]));
  if (fields.length === 0) return;
  throw new EventValidationError("zod3", {
    eventType: definer,
    issues: fields.map((key) => ({
      path: [key],
      message: "is a zod 3 schema; stepwise needs zod 4",
    })),
  });
}

/** The problem to report when a workflow's `state` schema (option or `static state`) is zod 3. */
export function zod3StateProblems(workflowName: string, schema: unknown): ValidationProblem[] {
  if (!isZod3Schema(schema)) return [];
  return [
    {
      code: "invalidOptions",
      message: `\`state\` of ${workflowName} (the option or \`static state\`) is a zod 3 schema; ${INSTALL_ZOD_4}.`,
    },
  ];
}
