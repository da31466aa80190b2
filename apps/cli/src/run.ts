import type { CommonArgs } from "./connect.ts";
import { CliExit, ExitCode } from "./exit.ts";
import { createOutput, type Output } from "./output.ts";

/** Prints an error as one line (and its stack with `--debug`); returns its exit code. */
export function reportError(error: unknown, debug: boolean): ExitCode {
  const known = error instanceof CliExit;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`launcher: ${known ? message : `unexpected error: ${message}`}\n`);
  if (debug) {
    let cause: unknown = error;
    while (cause instanceof Error) {
      process.stderr.write(`${cause.stack ?? cause.message}\n`);
      cause = cause.cause;
    }
  }
  return known ? error.code : ExitCode.failed;
}

/** Runs a subcommand's body and sets the process's exit code from its outcome. */
export async function run(
  args: CommonArgs,
  body: (output: Output) => Promise<ExitCode>,
): Promise<void> {
  const output = createOutput({ json: args.json === true, debug: args.debug === true });
  try {
    process.exitCode = await body(output);
  } catch (error) {
    process.exitCode = reportError(error, output.debug);
  }
}
