/**
 * Answers read from the process's stdin, line by line: with a prompt (on stderr, so stdout keeps
 * only results) when stdin is a terminal, silently from a pipe.
 */
import { createInterface, type Interface } from "node:readline";
import type { CliInput } from "./human-input.js";

/** A {@link CliInput} reading `stdin`; it reads nothing until the first question. */
export function createStdinInput(
  stdin: NodeJS.ReadStream = process.stdin,
  prompts: NodeJS.WritableStream = process.stderr,
): CliInput & { close(): void } {
  const isInteractive = stdin.isTTY === true;
  // One reader for the whole run: lines that arrive before they are asked for (a pipe delivers
  // them all at once) wait in `lines`.
  let reader: Interface | null = null;
  const lines: string[] = [];
  let isEnded = false;
  let waiting: ((line: string | null) => void) | null = null;

  function open(): Interface {
    if (reader) return reader;
    const rl = createInterface({
      input: stdin,
      ...(isInteractive ? { output: prompts, terminal: true } : { terminal: false }),
    });
    rl.on("line", (line) => {
      const resolve = waiting;
      waiting = null;
      if (resolve) resolve(line);
      else lines.push(line);
    });
    rl.on("close", () => {
      isEnded = true;
      const resolve = waiting;
      waiting = null;
      resolve?.(null);
    });
    reader = rl;
    return rl;
  }

  return {
    isInteractive,
    readLine(prompt, signal) {
      const rl = open();
      const queued = lines.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      if (isEnded || signal.aborted) return Promise.resolve(null);
      if (isInteractive) {
        rl.setPrompt(prompt);
        rl.prompt();
      }
      return new Promise((resolve) => {
        waiting = resolve;
        signal.addEventListener(
          "abort",
          () => {
            if (waiting !== resolve) return;
            waiting = null;
            resolve(null);
          },
          { once: true },
        );
      });
    },
    close() {
      reader?.close();
    },
  };
}
