import type { LaunchClient } from "./create-client.ts";
import { ticketIsGone, toLauncherError } from "./errors.ts";
import { checkLaunchServer } from "./follow-launch.ts";
import { type LaunchRef, loadLaunch } from "./launch-ref.ts";
import type { StoredLaunch, TicketStore } from "./ticket-store.ts";

export interface PrepareLaunchOptions {
  template: string;
  /** The driver; the server's default when left out. */
  driver?: string;
  /** The ticket is stored here before this returns. */
  store: TicketStore;
}

/**
 * Asks the server for a new launch (no side effect there) and stores its ticket, with the
 * server it belongs to, so that following it afterwards, in this process or another, starts
 * the instance exactly once.
 *
 * @example
 * const launch = await prepareLaunch(client, { template: "scratchpad", store });
 * const ready = await followLaunch(client, { launch, store }).done();
 */
export async function prepareLaunch(
  client: LaunchClient,
  options: PrepareLaunchOptions,
): Promise<StoredLaunch> {
  let prepared: { id: string; ticket: string };
  try {
    prepared = await client.launch.prepare.mutate({
      template: options.template,
      ...(options.driver ? { driver: options.driver } : {}),
    });
  } catch (error) {
    throw toLauncherError(error);
  }
  const launch: StoredLaunch = {
    id: prepared.id,
    ticket: prepared.ticket,
    template: options.template,
    server: client.url,
    storedAt: Date.now(),
    ...(options.driver ? { driver: options.driver } : {}),
  };
  await options.store.put(launch);
  return launch;
}

/** What the server answers a destroy with: `{ id, phase: "destroyed" }`. */
export type DestroyedLaunch = Awaited<ReturnType<LaunchClient["launch"]["destroy"]["mutate"]>>;

export interface DestroyLaunchOptions {
  launch: LaunchRef;
  store: TicketStore;
  /** Send the ticket even to a server other than the one that issued it. */
  allowOtherServer?: boolean;
}

/**
 * Destroys a launch's instance (resolving once nothing of it runs), then forgets its ticket. When the server refuses the ticket,
 * it is forgotten only if it can never open again (`expired`, `malformed`); the error is
 * thrown either way.
 *
 * @example
 * await destroyLaunch(client, { launch: id, store });
 */
export async function destroyLaunch(
  client: LaunchClient,
  options: DestroyLaunchOptions,
): Promise<DestroyedLaunch> {
  const launch = await loadLaunch(options.launch, options.store);
  if (!options.allowOtherServer) checkLaunchServer(launch, client.url);
  let destroyed: DestroyedLaunch;
  try {
    destroyed = await client.launch.destroy.mutate({ ticket: launch.ticket });
  } catch (cause) {
    const error = toLauncherError(cause);
    if (ticketIsGone(error)) await options.store.remove(launch.id);
    throw error;
  }
  await options.store.remove(launch.id);
  return destroyed;
}
