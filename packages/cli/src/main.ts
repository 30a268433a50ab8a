/**
 * The `stepwise` executable: runs the CLI on the process arguments and exits with its code.
 */
import { runCli } from "./program.js";
import { createStdinInput } from "./stdin-input.js";

function write(stream: NodeJS.WriteStream): (text: string) => void {
  return (text) => {
    stream.write(text);
  };
}

const input = createStdinInput();
const code = await runCli(
  process.argv.slice(2),
  { stdout: write(process.stdout), stderr: write(process.stderr) },
  { input },
);
input.close();
// Exit explicitly: a workflow may leave timers or handles behind after its run has ended, and the
// CLI's job is done. Writes to pipes and files are synchronous on Linux and macOS, so nothing is lost;
// waiting for the drain keeps it so elsewhere.
await Promise.all([drain(process.stdout), drain(process.stderr)]);
process.exit(code);

function drain(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableLength === 0) resolve();
    else stream.once("drain", () => resolve());
  });
}
