import { LauncherError } from "./errors.ts";
import type { StoredLaunch, TicketStore } from "./ticket-store.ts";

/** The launch to act on: its id in the store, what the store holds, or `launch.prepare`'s output. */
export type LaunchRef = string | (Pick<StoredLaunch, "id" | "ticket"> & Partial<StoredLaunch>);

/** The stored launch a {@link LaunchRef} names; one given whole is stored first if new. */
export async function loadLaunch(
  ref: LaunchRef | undefined,
  store: TicketStore,
): Promise<StoredLaunch> {
  if (ref === undefined) throw new TypeError("a launch (`launch` or `ticket`) is required");
  if (typeof ref === "string") {
    const stored = await store.get(ref);
    if (!stored) throw new LauncherError("not_found", `No launch ${ref} in the ticket store`);
    return stored;
  }
  const stored = await store.get(ref.id);
  if (stored && stored.ticket === ref.ticket) return stored;
  // Invariant: the ticket is kept before anything can start the instance.
  const launch: StoredLaunch = { template: "", storedAt: Date.now(), ...ref };
  await store.put(launch);
  return launch;
}
