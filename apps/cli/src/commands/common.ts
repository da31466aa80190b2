import type { StoredLaunch, TicketStore } from "@launcher/client";
import { readEnv } from "../env.ts";
import { usageError } from "../exit.ts";
import { when } from "./instance-table.ts";

/** The options every subcommand accepts. */
export const commonArgs = {
  server: {
    type: "string",
    description: "The launcher server (default: $LAUNCHER_URL or http://127.0.0.1:3000)",
    valueHint: "URL",
  },
  json: { type: "boolean", description: "Print only JSON lines on stdout" },
  debug: { type: "boolean", description: "Print connection details and stack traces" },
  insecure: {
    type: "boolean",
    description: "Allow plain http:// to a host other than this machine",
  },
  "force-server": {
    type: "boolean",
    description: "Send a kept ticket to --server even if another server issued it",
  },
} as const;

/** One line describing a stored launch: its full id, template, last phase, when it was kept. */
export function describeLaunch(launch: StoredLaunch): string {
  const phase = launch.snapshot?.phase ?? "not started";
  return `${launch.id}  ${launch.template.padEnd(12)} ${phase.padEnd(10)} ${when(launch.storedAt)} UTC`;
}

/**
 * The stored launch with this id or an unambiguous prefix of it (at least 4 characters);
 * `undefined` when none matches.
 */
export async function matchLaunch(
  store: TicketStore,
  id: string,
): Promise<StoredLaunch | undefined> {
  const exact = await store.get(id);
  if (exact) return exact;
  const matches =
    id.length >= 4 ? (await store.list()).filter((launch) => launch.id.startsWith(id)) : [];
  if (matches.length > 1) throw usageError(`"${id}" matches several launches; give more of the id`);
  return matches[0];
}

/** Finds a stored launch by its id or an unambiguous prefix of it (at least 4 characters). */
export async function findLaunch(store: TicketStore, id: string): Promise<StoredLaunch> {
  const launch = await matchLaunch(store, id);
  if (launch) return launch;
  throw usageError(`No launch ${id} in ${readEnv().stateDir} (see: launcher list)`);
}
