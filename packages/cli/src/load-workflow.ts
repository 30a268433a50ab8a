/**
 * Finds the workflow a module exports: a Workflow instance or a Workflow subclass.
 */
import { resolve } from "node:path";
import { Workflow } from "@stepwise/core";
import { CliError, describeError } from "./cli-error.js";
import { cliCoreDir, moduleCoreDir } from "./share-core.js";

/** A workflow found among a module's exports. */
export interface FoundWorkflow {
  /** The export's name (`default` for a default export). */
  exportName: string;
  /** The instance, or the class when the export is a Workflow subclass. */
  value: Workflow | (new (...args: any[]) => Workflow);
  isClass: boolean;
}

/** Whether a value is a Workflow instance or a Workflow subclass. */
export function isWorkflowExport(value: unknown): boolean {
  if (value instanceof Workflow) return true;
  return typeof value === "function" && value.prototype instanceof Workflow;
}

/**
 * Picks the workflow to use from a module's exports: the one named by `exportName`, else the only
 * workflow the module exports. A default export that is also exported by name counts once.
 *
 * @throws {@link CliError} naming the available workflow exports when the choice is impossible.
 */
export function pickWorkflow(
  moduleExports: Record<string, unknown>,
  modulePath: string,
  exportName: string | undefined,
): FoundWorkflow {
  const candidates = Object.entries(moduleExports).filter(([, value]) => isWorkflowExport(value));
  const unique = candidates.filter(
    ([name, value]) =>
      name !== "default" || !candidates.some(([other, v]) => other !== "default" && v === value),
  );
  const names = unique.map(([name]) => `\`${name}\``).join(", ");

  if (exportName !== undefined) {
    if (!(exportName in moduleExports)) {
      throw new CliError(
        `\`${modulePath}\` has no export named \`${exportName}\`; ` +
          (unique.length > 0 ? `its workflow exports are ${names}` : "it exports no workflow"),
      );
    }
    const value = moduleExports[exportName];
    if (isForeignWorkflow(value)) throw foreignWorkflowError(exportName, modulePath);
    if (!isWorkflowExport(value)) {
      throw new CliError(
        `export \`${exportName}\` of \`${modulePath}\` is not a Workflow instance or subclass` +
          (unique.length > 0 ? `; its workflow exports are ${names}` : ""),
      );
    }
    return found(exportName, value);
  }

  const [only, ...others] = unique;
  if (only === undefined) {
    const foreign = Object.entries(moduleExports).find(([, value]) => isForeignWorkflow(value));
    if (foreign !== undefined) throw foreignWorkflowError(foreign[0], modulePath);
    const exported = Object.keys(moduleExports);
    throw new CliError(
      `\`${modulePath}\` exports no workflow (a Workflow instance or subclass)` +
        (exported.length > 0
          ? `; its exports are ${exported.map((name) => `\`${name}\``).join(", ")}`
          : "; it has no exports"),
    );
  }
  if (others.length > 0) {
    throw new CliError(
      `\`${modulePath}\` exports several workflows (${names}); choose one with --export <name>`,
    );
  }
  return found(only[0], only[1]);
}

function found(exportName: string, value: unknown): FoundWorkflow {
  const isClass = typeof value === "function";
  return { exportName, value: value as FoundWorkflow["value"], isClass };
}

/**
 * Whether a value is a Workflow instance or subclass of another copy of `@stepwise/core` than the
 * CLI's: a class named `Workflow` with a `run` method, up its chain, that is not the CLI's.
 */
function isForeignWorkflow(value: unknown): boolean {
  if (isWorkflowExport(value)) return false;
  let ctor: unknown =
    typeof value === "function"
      ? value
      : value !== null && typeof value === "object"
        ? Object.getPrototypeOf(value)?.constructor
        : undefined;
  for (let depth = 0; typeof ctor === "function" && depth < 50; depth++) {
    const proto = (ctor as { prototype?: { run?: unknown } }).prototype;
    if (ctor.name === "Workflow" && typeof proto?.run === "function") return true;
    ctor = Object.getPrototypeOf(ctor);
  }
  return false;
}

function foreignWorkflowError(exportName: string, modulePath: string): CliError {
  const theirs = moduleCoreDir(resolve(modulePath));
  const own = cliCoreDir();
  const what = `export \`${exportName}\` of \`${modulePath}\``;
  if (theirs === null || theirs === own) {
    return new CliError(
      `${what} extends a class named \`Workflow\` that is not the \`Workflow\` of @stepwise/core (${own}); ` +
        'extend the one `import { Workflow } from "@stepwise/core"` gives',
    );
  }
  return new CliError(
    `${what} is a Workflow of another copy of @stepwise/core (${theirs}) than the CLI's (${own}), ` +
      "and events route by class identity; run the `stepwise` installed in the module's project " +
      "(`npm install @stepwise/cli`, then `npx stepwise`)",
  );
}

/**
 * The workflow instance to run: the export itself, or a new instance of an exported class
 * (constructed with no arguments).
 *
 * @throws {@link CliError} when the class cannot be constructed without arguments.
 */
export function instantiateWorkflow(workflow: FoundWorkflow): Workflow {
  if (!workflow.isClass) return workflow.value as Workflow;
  const WorkflowClass = workflow.value as new () => Workflow;
  try {
    return new WorkflowClass();
  } catch (error) {
    throw new CliError(
      `could not create \`${workflow.exportName}\` with no arguments (${describeError(error)}); ` +
        exportInstanceAdvice(workflow),
      1,
      { cause: error, hasStack: true },
    );
  }
}

/**
 * When the CLI made the workflow from a class whose constructor declares parameters, a sentence
 * saying so, for the message of a run that failed: such a class usually fails in a step, reading
 * a field its constructor never set (`Cannot read properties of undefined`). Otherwise null.
 */
export function constructorArgumentsNote(workflow: FoundWorkflow): string | null {
  if (!workflow.isClass) return null;
  const count = (workflow.value as unknown as (...args: unknown[]) => unknown).length;
  if (count === 0) return null;
  const parameters = count === 1 ? "1 parameter" : `${count} parameters`;
  return (
    `the CLI created \`${workflow.exportName}\` with no arguments, but its constructor declares ${parameters}; ` +
    exportInstanceAdvice(workflow)
  );
}

function exportInstanceAdvice(workflow: FoundWorkflow): string {
  const className = (workflow.value as { name?: string }).name || workflow.exportName;
  return (
    `export a ready-made instance instead, e.g. \`export const workflow = new ${className}(...)\`, ` +
    "and run it with `--export workflow`"
  );
}
