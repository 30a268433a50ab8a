/**
 * Loads `@stepwise/draw`, which the CLI draws with. It is an optional dependency of the CLI, so
 * it is loaded only to draw, and its absence is an error that says how to install it.
 */
import { CliError } from "./cli-error.js";

/** The `@stepwise/draw` module. */
export type DrawLibrary = typeof import("@stepwise/draw");

/**
 * Imports `@stepwise/draw`.
 * @throws {@link CliError} when it is not installed.
 */
export async function loadDrawLibrary(): Promise<DrawLibrary> {
  try {
    return await import("@stepwise/draw");
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code === "ERR_MODULE_NOT_FOUND" && String(message).includes("'@stepwise/draw'")) {
      throw new CliError(
        "drawing needs @stepwise/draw, which is not installed; run `npm install @stepwise/draw` in the project that has @stepwise/cli",
        1,
        { cause: error },
      );
    }
    throw error;
  }
}
