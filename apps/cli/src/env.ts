import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

/** The CLI's configuration from the environment, read in one place. */
export interface CliEnv {
  /** The server to talk to when `--server` is not given. */
  defaultServer: string;
  /** Where tickets are kept: `$XDG_STATE_HOME/launcher` or `~/.local/state/launcher`. */
  stateDir: string;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  const url = env.LAUNCHER_URL?.trim();
  // The XDG spec says a relative XDG_STATE_HOME is invalid and must be ignored.
  const xdg = env.XDG_STATE_HOME?.trim();
  const stateHome =
    xdg && isAbsolute(xdg) ? xdg : join(env.HOME?.trim() || homedir(), ".local", "state");
  return {
    defaultServer: url || "http://127.0.0.1:3000",
    stateDir: join(stateHome, "launcher"),
  };
}
