import { normalizeServerUrl, type StoredLaunch } from "@launcher/client";
import { type CliEnv, readEnv } from "./env.ts";
import { CliExit, ExitCode, usageError } from "./exit.ts";

export interface ServerArgs {
  server?: string;
  insecure?: boolean;
  "force-server"?: boolean;
}

/** This machine: `localhost` (and `*.localhost`), 127.0.0.0/8, `::1`. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host === "[::1]" ||
    /^127(?:\.\d{1,3}){3}$/.test(host)
  );
}

/**
 * The server to talk to: `--server`, else the server a kept launch belongs to, else
 * `LAUNCHER_URL` or the default. Refuses plain `http:` to another machine without
 * `--insecure` (tickets and credentials would cross the network in clear), and a kept
 * ticket's trip to a server that did not issue it without `--force-server`.
 */
export function serverUrl(args: ServerArgs, launch?: Pick<StoredLaunch, "id" | "server">): URL {
  const raw = args.server ?? launch?.server ?? readEnv().defaultServer;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`Not a URL: ${raw} (expected e.g. http://127.0.0.1:3000)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw usageError(`The server URL must start with http:// or https://, not ${url.protocol}`);
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname) && !args.insecure) {
    throw new CliExit(
      ExitCode.insecure,
      `Refusing plain http:// to ${url.host}: tickets and credentials would cross the network unencrypted. Use https://, or --insecure if you mean it`,
    );
  }
  const server = normalizeServerUrl(url);
  if (launch?.server && launch.server !== server && !args["force-server"]) {
    throw new CliExit(
      ExitCode.otherServer,
      `Launch ${launch.id} belongs to ${launch.server}; its ticket is not sent to ${server} (add --force-server to send it anyway)`,
    );
  }
  return url;
}

/**
 * The credential from the environment, when `url` is the server named for this run
 * (`--server`, else `LAUNCHER_URL` or the default). Not for a server that only a kept launch
 * names: a token for one server is no business of another (name it with `--server`).
 */
export function credentialFor(args: ServerArgs, url: URL): CliEnv["credential"] {
  const { credential, defaultServer } = readEnv();
  if (!credential) return undefined;
  const named = (() => {
    try {
      return normalizeServerUrl(args.server ?? defaultServer);
    } catch {
      return undefined;
    }
  })();
  return named === normalizeServerUrl(url) ? credential : undefined;
}
