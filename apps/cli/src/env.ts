import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

/** Where the credential for the server comes from: its variable's name (never its value). */
export type CredentialSource = "LAUNCHER_AUTHORIZATION" | "LAUNCHER_TOKEN";

/** The CLI's configuration from the environment, read in one place. */
export interface CliEnv {
  /** The server to talk to when `--server` is not given. */
  defaultServer: string;
  /** Where tickets are kept: `$XDG_STATE_HOME/launcher` or `~/.local/state/launcher`. */
  stateDir: string;
  /**
   * The `Authorization` header for the server (or the proxy in front of it), from
   * `LAUNCHER_AUTHORIZATION` (the whole value: `Basic …`, `Bearer …`) or `LAUNCHER_TOKEN`
   * (a bearer token alone). From the environment only: argv is visible to everyone in `ps`.
   */
  credential?: { source: CredentialSource; authorization: string };
  /** Why the credential variables cannot be used; no value is quoted. */
  credentialProblem?: string;
}

// What an HTTP header value may hold (RFC 9110): visible ASCII, spaces and tabs.
const HEADER_VALUE = /^[\t\x20-\x7e]+$/;

function readCredential(env: NodeJS.ProcessEnv): Pick<CliEnv, "credential" | "credentialProblem"> {
  const whole = env.LAUNCHER_AUTHORIZATION?.trim();
  // A token pasted with its scheme is still the token.
  const token = env.LAUNCHER_TOKEN?.trim().replace(/^Bearer\s+/i, "");
  if (whole && token) {
    return { credentialProblem: "Set LAUNCHER_AUTHORIZATION or LAUNCHER_TOKEN, not both" };
  }
  if (!whole && !token) return {};
  const source: CredentialSource = whole ? "LAUNCHER_AUTHORIZATION" : "LAUNCHER_TOKEN";
  const authorization = whole || `Bearer ${token}`;
  if (!HEADER_VALUE.test(authorization) || (token !== undefined && /\s/.test(token))) {
    return {
      credentialProblem: `${source} holds a character that cannot be sent in an HTTP header (a line break, a space in a token…); its value is not shown`,
    };
  }
  return { credential: { source, authorization } };
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
    ...readCredential(env),
  };
}
