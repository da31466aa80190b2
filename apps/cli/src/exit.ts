/** The `launcher` command's exit codes. */
export const ExitCode = {
  ready: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  refused: 4,
  /** A kept ticket belongs to another server than the one given (see `--force-server`). */
  otherServer: 5,
  /** Plain `http:` to a host that is not this machine (see `--insecure`). */
  insecure: 6,
  /** A quota refused to start the instance; the ticket is kept (destroy one, then follow). */
  overQuota: 7,
  /**
   * The server, or a proxy in front of it, wants credentials or refused them (HTTP 401):
   * set `LAUNCHER_AUTHORIZATION` or `LAUNCHER_TOKEN`.
   */
  unauthenticated: 8,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Ends the command with `code` and one line on stderr (no stack trace). */
export class CliExit extends Error {
  override readonly name = "CliExit";
  constructor(
    readonly code: ExitCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const usageError = (message: string) => new CliExit(ExitCode.usage, message);
