/** Where the CLI writes: humans get text, `--json` gets only JSON lines on stdout. */
export interface Output {
  json: boolean;
  debug: boolean;
  /** Whether stdout is a terminal (live progress updated in place). */
  tty: boolean;
  /** A line for humans on stdout; silent with `--json`. */
  say(line: string): void;
  /** A note for humans on stderr (always, so it never mixes with JSON). */
  note(line: string): void;
  /** One JSON line on stdout (only with `--json`). */
  data(value: unknown): void;
  /** Raw text on stdout, for the in-place progress display. */
  raw(text: string): void;
  /** A line on stderr only with `--debug`. */
  trace(line: string): void;
}

export function createOutput(options: {
  json: boolean;
  debug: boolean;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const { json, debug } = options;
  return {
    json,
    debug,
    tty: !json && stdout.isTTY === true,
    say: (line) => {
      if (!json) stdout.write(`${line}\n`);
    },
    note: (line) => void stderr.write(`${line}\n`),
    data: (value) => {
      if (json) stdout.write(`${JSON.stringify(value)}\n`);
    },
    raw: (text) => void stdout.write(text),
    trace: (line) => {
      if (debug) stderr.write(`[debug] ${line}\n`);
    },
  };
}
