/**
 * Loads a user's TypeScript or JavaScript module and finds the workflow it exports: a Workflow
 * instance or a Workflow subclass.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Workflow } from "@stepwise/core";
import { register } from "tsx/esm/api";
import { CliError, describeError } from "./cli-error.js";

/** A workflow found among a module's exports. */
export interface FoundWorkflow {
  /** The export's name (`default` for a default export). */
  exportName: string;
  /** The instance, or the class when the export is a Workflow subclass. */
  value: Workflow | (new (...args: any[]) => Workflow);
  isClass: boolean;
}

let isTsxRegistered = false;

/**
 * Imports a module by path, with TypeScript support.
 *
 * tsx's hooks are registered for the whole process (tsx's `register()`), not scoped with
 * `tsImport()`: a scoped import gives the module its own copy of every file outside
 * node_modules, so in a workspace its `@stepwise/core` would not be the CLI's, and
 * `instanceof Workflow` (and routing, which is by class identity) would fail.
 *
 * @throws {@link CliError} when the file is missing or fails to load.
 */
export async function importModule(modulePath: string): Promise<Record<string, unknown>> {
  const absolute = resolve(modulePath);
  if (!existsSync(absolute) || !statSync(absolute).isFile()) {
    throw new CliError(`module \`${modulePath}\` not found (looked for ${absolute})`);
  }
  if (!isTsxRegistered) {
    register();
    isTsxRegistered = true;
  }
  try {
    return (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`could not load \`${modulePath}\`: ${describeError(error)}`, 1, {
      cause: error,
    });
  }
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
        "export a ready-made instance instead, e.g. `export const workflow = new MyWorkflow({ ... })`",
      1,
      { cause: error },
    );
  }
}
