import { type Driver, isTerminal, type Observation } from "./driver.ts";

/**
 * Observes an instance until a terminal phase and returns every observation; fails after
 * `ms`. For tests of drivers (not exported from the package).
 */
export async function followToEnd(driver: Driver, id: string, ms = 5000): Promise<Observation[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error("follow timed out")), ms);
  const seen: Observation[] = [];
  try {
    for await (const observation of driver.observe(id, controller.signal)) {
      seen.push(observation);
      if (isTerminal(observation.phase)) break;
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  if (!seen.length || !isTerminal(seen.at(-1)!.phase)) throw new Error("no terminal phase seen");
  return seen;
}

/** The first observation a fresh follower of the instance gets. For tests of drivers. */
export async function firstObservation(driver: Driver, id: string): Promise<Observation> {
  const controller = new AbortController();
  try {
    for await (const observation of driver.observe(id, controller.signal)) return observation;
  } finally {
    controller.abort();
  }
  throw new Error("no observation");
}
