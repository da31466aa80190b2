import {
  createLauncherClient,
  type LauncherClient,
  type LauncherError,
  type StoredLaunch,
  type TicketStore,
  toLauncherError,
} from "@launcher/client";
import { fileStore } from "@launcher/client/node";
import WebSocket from "ws";
import { readEnv } from "./env.ts";
import { CliExit, ExitCode, usageError } from "./exit.ts";
import type { Output } from "./output.ts";
import { credentialFor, type ServerArgs, serverUrl } from "./server-url.ts";
import { toCliExit } from "./to-cli-exit.ts";

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

/** The `Authorization` header from the environment for `url`, if any (exit 2 if unusable). */
function credentialHeaders(args: ServerArgs, url: URL): Record<string, string> | undefined {
  const { credentialProblem } = readEnv();
  if (credentialProblem) throw usageError(credentialProblem);
  const credential = credentialFor(args, url);
  return credential ? { authorization: credential.authorization } : undefined;
}

/**
 * A client for the server, once the server answers: a short, bounded retry while it
 * starts, then exit 3. It sends the credential from the environment, if any and if the
 * server is the one named for this run, with every request and the WebSocket's upgrade.
 */
export async function connect(
  args: CommonArgs,
  output: Output,
  launch?: Pick<StoredLaunch, "id" | "server">,
): Promise<LauncherClient> {
  const url = serverUrl(args, launch);
  const headers = credentialHeaders(args, url);
  const client = createLauncherClient({ url, WebSocket, ...(headers ? { headers } : {}) });
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
        // A proxy that guards /health too says who may pass, not whether the server runs.
        throw failure.code === "unauthenticated"
          ? toCliExit(failure, { server: url, args })
          : unreachable(url, failure);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/**
 * Connects, runs `body` with the client and closes it. What `body` throws leaves as the
 * CLI's exit (see {@link toCliExit}), about `launch` when there is one.
 */
export async function withClient(
  context: { args: CommonArgs; output: Output; launch?: StoredLaunch },
  body: (client: LauncherClient) => Promise<ExitCode>,
): Promise<ExitCode> {
  const { args, output, launch } = context;
  const client = await connect(args, output, launch);
  try {
    return await body(client);
  } catch (error) {
    throw toCliExit(error, { id: launch?.id, server: new URL(client.url), args });
  } finally {
    await client.close();
  }
}

function unreachable(url: URL, cause: LauncherError): CliExit {
  return new CliExit(
    ExitCode.unreachable,
    `Cannot reach the launcher server at ${url.origin} (is it running? try --server URL)`,
    { cause },
  );
}
