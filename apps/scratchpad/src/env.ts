/** Scratchpad's configuration, from its environment (the launcher sets it). */
export interface ScratchpadEnv {
  password: string;
  port: number;
  host: string;
}

/** Reads and checks the environment; the problems, one line each, on failure. */
export function readEnv(
  source: NodeJS.ProcessEnv = process.env,
): { env: ScratchpadEnv } | { problems: string[] } {
  const password = source.SCRATCHPAD_PASSWORD ?? "";
  const port = Number(source.SCRATCHPAD_PORT ?? "8080");
  const problems: string[] = [];
  if (password.length < 8) problems.push("SCRATCHPAD_PASSWORD must be set (8 characters or more)");
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push("SCRATCHPAD_PORT must be a port number");
  }
  if (problems.length) return { problems };
  return { env: { password, port, host: source.SCRATCHPAD_HOST ?? "127.0.0.1" } };
}
