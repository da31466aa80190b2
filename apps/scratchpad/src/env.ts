/** Scratchpad's configuration, from its environment (the launcher sets it). */
export interface ScratchpadEnv {
  password: string;
  port: number;
  host: string;
  /** The launcher's instance id (`LAUNCHER_INSTANCE`): names the session cookie. */
  instance?: string;
}

/** Reads and checks the environment; the problems, one line each, on failure. */
export function readEnv(
  source: NodeJS.ProcessEnv = process.env,
): { env: ScratchpadEnv } | { problems: string[] } {
  const password = source.SCRATCHPAD_PASSWORD ?? "";
  const port = Number(source.SCRATCHPAD_PORT ?? "8080");
  const instance = source.LAUNCHER_INSTANCE || undefined;
  const problems: string[] = [];
  if (password.length < 8) problems.push("SCRATCHPAD_PASSWORD must be set (8 characters or more)");
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push("SCRATCHPAD_PORT must be a port number");
  }
  if (instance !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(instance)) {
    problems.push("LAUNCHER_INSTANCE must be 1 to 64 letters, digits, - or _");
  }
  if (problems.length) return { problems };
  return { env: { password, port, host: source.SCRATCHPAD_HOST ?? "127.0.0.1", instance } };
}
