import type { Driver, InstanceInfo } from "@launcher/drivers";
import type { LauncherDeps, LauncherLogger } from "./deps.ts";

/** An instance as a platform lists it, and the driver that runs it. */
export interface ListedInstance extends InstanceInfo {
  driver: string;
}

/** One reading of every platform. */
export interface InstanceListing {
  /** Every instance the reached platforms hold that is not destroyed (failed ones too). */
  instances: ListedInstance[];
  /** The drivers whose platforms answered, and so were read. */
  reached: Driver[];
  /** The drivers available here whose platforms did not answer (in time): not read. */
  unreached: string[];
}

export interface InstanceLister {
  /**
   * Reads every available driver's `list()` at once. A driver that is not available here, or
   * whose platform does not answer (in time), is left out and logged (once per change), never
   * an error: one engine down must not hide the instances of the others.
   */
  list(): Promise<InstanceListing>;
}

export interface InstanceListerOptions {
  drivers: ReadonlyMap<string, Driver>;
  logger: LauncherLogger;
  /** How long one driver's `available()` plus `list()` may take before it is left out. Default 10 s. */
  timeoutMs?: number;
}

/**
 * @example
 * const lister = createInstanceLister({ drivers, logger });
 * const { instances } = await lister.list();
 */
export function createInstanceLister(options: InstanceListerOptions): InstanceLister {
  const { drivers, logger } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  // Why each driver was last left out, so a platform that stays down is logged once.
  const leftOut = new Map<string, string>();

  /** A driver not available here (not configured, say) is news; one that fails is a warning. */
  const note = (driver: Driver, why?: { reason: string; failed: boolean }) => {
    const before = leftOut.get(driver.name);
    if (why?.reason === before) return;
    if (why === undefined) {
      leftOut.delete(driver.name);
      logger.info({ driver: driver.name }, "instances listed again");
      return;
    }
    leftOut.set(driver.name, why.reason);
    const fields = { driver: driver.name, reason: why.reason };
    if (why.failed) logger.warn(fields, "instances not listed: the platform did not answer");
    else logger.info(fields, "instances not listed: the driver is not available here");
  };

  /** The driver's instances; `undefined` when not available here, `"failed"` when it did not answer. */
  const readOne = async (driver: Driver): Promise<InstanceInfo[] | undefined | "failed"> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      timer.unref?.();
    });
    try {
      const availability = await Promise.race([driver.available(), late]);
      if (!availability.available) {
        note(driver, { reason: availability.reason, failed: false });
        return undefined;
      }
      return await Promise.race([driver.list(), late]);
    } catch (error) {
      note(driver, {
        reason: error instanceof Error ? error.message : String(error),
        failed: true,
      });
      return "failed";
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    async list() {
      const all = [...drivers.values()];
      const lists = await Promise.all(all.map(readOne));
      const listing: InstanceListing = { instances: [], reached: [], unreached: [] };
      for (const [i, driver] of all.entries()) {
        const list = lists[i];
        if (list === "failed") listing.unreached.push(driver.name);
        if (!list || list === "failed") continue;
        if (leftOut.has(driver.name)) note(driver);
        listing.reached.push(driver);
        for (const info of list) {
          // A platform that still shows a finished teardown: gone, whatever it says.
          if (info.phase === "destroyed") continue;
          listing.instances.push({ ...info, driver: driver.name });
        }
      }
      return listing;
    },
  };
}

const defaultListers = new WeakMap<LauncherDeps, InstanceLister>();

/** The server's lister (`deps.instances`), or one over `deps.drivers`, made once per deps. */
export function listerOf(deps: LauncherDeps): InstanceLister {
  if (deps.instances) return deps.instances;
  let lister = defaultListers.get(deps);
  if (!lister) {
    lister = createInstanceLister({ drivers: deps.drivers, logger: deps.logger });
    defaultListers.set(deps, lister);
  }
  return lister;
}
