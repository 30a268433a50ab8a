/**
 * Workflow instances to their compiled specs and step tables, for the modules that need them
 * without importing `workflow.ts` (which would make an import cycle).
 */
import { WorkflowRuntimeError } from "../errors.js";
import type { WorkflowSpec } from "../runtime/spec.js";
import type { StepDeclaration } from "../step-registry.js";
import { describeValue } from "./describe.js";

const specs = new WeakMap<object, () => WorkflowSpec>();
const tables = new WeakMap<object, () => readonly StepDeclaration[]>();

/** @internal Called by each workflow's constructor. */
export function registerWorkflow(
  workflow: object,
  spec: () => WorkflowSpec,
  steps: () => readonly StepDeclaration[],
): void {
  specs.set(workflow, spec);
  tables.set(workflow, steps);
}

/** Whether `value` is a workflow instance. */
export function isWorkflow(value: unknown): boolean {
  return typeof value === "object" && value !== null && specs.has(value);
}

/**
 * The compiled spec of a workflow (validated declarations; the graph checks run on `run()`).
 * @throws {@link WorkflowRuntimeError} for anything but a workflow instance.
 */
export function workflowSpec(workflow: object): WorkflowSpec {
  const spec = specs.get(workflow);
  if (!spec) {
    throw new WorkflowRuntimeError("notAWorkflow", {
      method: "workflowSpec()",
      received: describeValue(workflow),
    });
  }
  return spec();
}

/** The step declarations of a workflow instance, or undefined for anything else. */
export function workflowSteps(workflow: object): readonly StepDeclaration[] | undefined {
  return tables.get(workflow)?.();
}
