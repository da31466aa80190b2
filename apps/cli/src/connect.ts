import {
  createLauncherClient,
  type LauncherClient,
  type LauncherError,
  type StoredLaunch,
  type TicketRefusal,
  type TicketStore,
  ticketIsGone,
  toLauncherError,
} from "@launcher/client";
import { fileStore } from "@launcher/client/node";
import WebSocket from "ws";
import { readEnv } from "./env.ts";
import { CliExit, ExitCode } from "./exit.ts";
import type { Output } from "./output.ts";
import { type ServerArgs, serverUrl } from "./server-url.ts";

/** How long a server may take to answer at first before the CLI gives up (exit 3). */
export const CONNECT_TIMEOUT_MS = 5_000;
/**
 * How long a server may stay away in the middle of a follow (exit 3 after). A hung server is
 * noticed about 6 s after its last word (a ping after 4 s of quiet, 2 s for the pong), so
 * exit 3 comes about 18 s after, within the 30 s the design allows.
 */
export const FOLLOW_GIVE_UP_MS = 12_000;

export interface CommonArgs extends ServerArgs {
  json?: boolean;
  debug?: boolean;
}

export function ticketStore(): { store: TicketStore; dir: string } {
  const dir = readEnv().stateDir;
  return { store: fileStore(dir), dir };
}

/**
 * A client for the server, once the server answers: a short, bounded retry while it
 * starts, then exit 3.
 */
export async function connect(
  args: CommonArgs,
  output: Output,
  launch?: Pick<StoredLaunch, "id" | "server">,
): Promise<LauncherClient> {
  const url = serverUrl(args, launch);
  const client = createLauncherClient({ url, WebSocket });
  const deadline = Date.now() + CONNECT_TIMEOUT_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      const health = await client.health.query(undefined, {
        signal: AbortSignal.timeout(Math.max(500, deadline - Date.now())),
      });
      output.trace(`connected to ${url.origin} (server ${health.version})`);
      return client;
    } catch (error) {
      const failure = toLauncherError(error);
      output.trace(`attempt ${attempt} to reach ${url.origin}: ${failure.message}`);
      if (failure.code !== "unreachable" || Date.now() >= deadline) {
        await client.close();
        throw unreachable(url, failure);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

function unreachable(url: URL, cause: LauncherError): CliExit {
  return new CliExit(
    ExitCode.unreachable,
    `Cannot reach the launcher server at ${url.origin} (is it running? try --server URL)`,
    { cause },
  );
}

const REFUSAL_REASON: Record<TicketRefusal, string> = {
  expired: "it has expired",
  invalid: "it was altered, or sealed with keys this server does not have",
  malformed: "it is damaged",
  unknown_key: "it was sealed with a key this server does not have",
  not_yet_valid: "it was issued in the future (check the clocks)",
  too_large: "it is too large",
  missing: "it is missing",
};

/** Turns a client error into the CLI's exit code and one clear line. */
export function toCliExit(error: unknown, context: { id?: string; server?: URL } = {}): CliExit {
  if (error instanceof CliExit) return error;
  const failure = toLauncherError(error);
  const which = context.id ? `The ticket for ${context.id}` : "The ticket";
  switch (failure.code) {
    case "ticket_refused": {
      const reason = (failure.tokenCode && REFUSAL_REASON[failure.tokenCode]) ?? "it is not valid";
      const id = context.id;
      // Only a ticket that can never open again is gone; any other is the key to an instance.
      const next = ticketIsGone(failure)
        ? " It is removed; start a new launch."
        : id
          ? ` It is kept: try again (launcher follow ${id}), or forget it: launcher dismiss ${id}`
          : "";
      return new CliExit(
        ExitCode.refused,
        `${which} was refused by the server (${failure.tokenCode}): ${reason}.${next}`,
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
