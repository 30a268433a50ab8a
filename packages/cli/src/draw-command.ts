/**
 * `stepwise draw <module>`: draws the workflow a module exports, as HTML or Mermaid text.
 */
import { basename, extname } from "node:path";
import { loadDrawLibrary } from "./draw-library.js";
import { importModule } from "./load-module.js";
import { pickWorkflow } from "./load-workflow.js";
import type { CliOutput } from "./program.js";

/** Options of `stepwise draw`, as commander parses them. */
export interface DrawCommandOptions {
  export?: string;
  output?: string;
  mermaid?: boolean;
  maxLabelLength?: number;
  /** Say how the module is loaded. */
  verbose?: boolean;
}

/** Draws the module's workflow; prints the Mermaid text or the path of the file written. */
export async function drawCommand(
  modulePath: string,
  options: DrawCommandOptions,
  output: CliOutput,
): Promise<void> {
  const moduleExports = await importModule(
    modulePath,
    options.verbose ? { log: (line) => output.stderr(`stepwise: ${line}\n`) } : {},
  );
  const workflow = pickWorkflow(moduleExports, modulePath, options.export);
  const { drawAllPossibleFlows, drawAllPossibleFlowsMermaid } = await loadDrawLibrary();
  const labels =
    options.maxLabelLength === undefined ? {} : { maxLabelLength: options.maxLabelLength };

  if (options.mermaid) {
    const text = drawAllPossibleFlowsMermaid(workflow.value, {
      ...labels,
      ...(options.output === undefined ? {} : { filename: options.output }),
    });
    if (options.output === undefined) output.stdout(`${text}\n`);
    else output.stdout(`wrote ${options.output}\n`);
    return;
  }

  const filename = options.output ?? `${basename(modulePath, extname(modulePath))}.html`;
  const path = drawAllPossibleFlows(workflow.value, { ...labels, filename });
  output.stdout(`wrote ${path}\n`);
}
