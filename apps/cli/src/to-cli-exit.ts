import {
  type LauncherError,
  normalizeServerUrl,
  refusalReason,
  ticketIsGone,
  toLauncherError,
} from "@launcher/client";
import { type CredentialSource, readEnv } from "./env.ts";
import { CliExit, ExitCode } from "./exit.ts";
import { credentialFor, type ServerArgs } from "./server-url.ts";

export interface ExitContext {
  /** The launch the command was about. */
  id?: string | undefined;
  /** The server that answered. */
  server?: URL | undefined;
  /** The command's options: whether the credential went to `server` depends on `--server`. */
  args?: ServerArgs | undefined;
}

/** Turns a client error into the CLI's exit code and one clear line. */
export function toCliExit(error: unknown, context: ExitContext = {}): CliExit {
  if (error instanceof CliExit) return error;
  const failure = toLauncherError(error);
  const which = context.id ? `The ticket for ${context.id}` : "The ticket";
  switch (failure.code) {
    case "ticket_refused": {
      const id = context.id;
      // Only a ticket that can never open again is gone; any other is the key to an instance.
      const next = ticketIsGone(failure)
        ? " It is removed; start a new launch."
        : id
          ? ` It is kept: try again (launcher follow ${id}), or forget it: launcher dismiss ${id}`
          : "";
      return new CliExit(
        ExitCode.refused,
        `${which} was refused by the server (${failure.tokenCode}): ${refusalReason(failure.tokenCode)}.${next}`,
        { cause: failure },
      );
    }
    case "other_server":
      return new CliExit(ExitCode.otherServer, `${failure.message} (--force-server sends it)`, {
        cause: failure,
      });
    case "unreachable":
      return new CliExit(
        ExitCode.unreachable,
        `Cannot reach the launcher server${context.server ? ` at ${context.server.origin}` : ""}: ${failure.message}`,
        { cause: failure },
      );
    case "forbidden":
      return forbidden(failure, context.id);
    case "unauthenticated": {
      const configured = readEnv().credential?.source;
      const { server, args } = context;
      const sent = server && args ? credentialFor(args, server)?.source : configured;
      return unauthenticated(failure, server, { sent, configured });
    }
    case "not_found":
    case "bad_request":
      return new CliExit(ExitCode.usage, failure.message, { cause: failure });
    case "rate_limited":
      return new CliExit(
        ExitCode.failed,
        `The server is rate-limiting this client; try again in ${failure.retryAfter ?? "a few"} s`,
        { cause: failure },
      );
    default:
      return new CliExit(ExitCode.failed, failure.message, { cause: failure });
  }
}

/**
 * `FORBIDDEN`: a quota (exit 7: the ticket is kept, destroy one and follow again) or another
 * user's instance (exit 4).
 */
function forbidden(failure: LauncherError, id: string | undefined): CliExit {
  const { quota } = failure;
  if (quota) {
    const whose = quota.scope === "user" ? "your" : "the server's";
    const follow = id ? `launcher follow ${id}` : "launcher follow";
    return new CliExit(
      ExitCode.overQuota,
      `Over quota: ${whose} limit is ${quota.limit} instance${quota.limit === 1 ? "" : "s"} and ${quota.used} ${quota.used === 1 ? "is" : "are"} in use, so nothing was started. The ticket is kept: destroy one with \`launcher destroy ID\` (see: launcher instances), then \`${follow}\``,
      { cause: failure },
    );
  }
  const what = id ? `Instance ${id}` : "That instance";
  return new CliExit(
    ExitCode.refused,
    `${what} belongs to another user; only its owner or an admin may do that`,
    { cause: failure },
  );
}

/** Where a signed-in browser user gets a token for the CLI (`LAUNCHER_AUTH=oidc`). */
const tokenPage = (server: URL) => `${normalizeServerUrl(server)}/auth/token`;

/**
 * A 401 from the server or a proxy in front of it (exit 8): which variable to set, and for
 * a server with its own sign-in (it names a sign-in page), where to get a token. Never the
 * credential itself, only the name of the variable it came from: `sent` (it went to this
 * server) or only `configured` (it is for the server named for this run, not this one).
 */
export function unauthenticated(
  failure: LauncherError,
  server: URL | undefined,
  credential: { sent?: CredentialSource | undefined; configured?: CredentialSource | undefined },
): CliExit {
  const { sent, configured } = credential;
  const at = server ? ` at ${server.origin}` : "";
  const where = server ? tokenPage(server) : "/auth/token on the server";
  let message: string;
  if (!sent && configured && server) {
    message = `The server${at} wants credentials. The one in ${configured} goes only to the server named for this run (--server, else LAUNCHER_URL); to send it to this one, add --server ${normalizeServerUrl(server)}`;
  } else if (failure.signIn && sent) {
    message = `The server${at} refused the token in ${sent}: ${failure.message}. Sign in at ${where} in a browser for a new one, and set LAUNCHER_TOKEN to it`;
  } else if (failure.signIn) {
    message = `The server${at} wants a signed-in user: sign in at ${where} in a browser, then set LAUNCHER_TOKEN to the token it shows`;
  } else if (sent) {
    message = `The server${at}, or a proxy in front of it, refused the credentials in ${sent}: ${failure.message}. Check them`;
  } else {
    message = `The server${at}, or a proxy in front of it, asks for credentials: set LAUNCHER_AUTHORIZATION to the whole Authorization header it accepts (e.g. "Basic " and the base64 of user:password), or LAUNCHER_TOKEN to a bearer token`;
  }
  return new CliExit(ExitCode.unauthenticated, message, { cause: failure });
}
