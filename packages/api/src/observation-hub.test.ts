import type { Driver, Observation } from "@launcher/drivers";
import { DriverError } from "@launcher/drivers";
import { describe, expect, it } from "vitest";
import { createObservationHub } from "./observation-hub.ts";

const observation = (version: number, phase: Observation["phase"] = "starting"): Observation => ({
  version,
  phase,
  steps: [],
  logTail: [],
});

/** A driver whose platform the test moves by hand. */
function makeDriver(observe: Driver["observe"]): Driver & { observers: number } {
  const driver = {
    name: "test",
    observers: 0,
    available: async () => ({ available: true as const }),
    availableFor: async () => ({ available: true as const }),
    ensure: async () => {},
    recordFailure: async () => {},
    list: async () => [],
    sweep: async () => {},
    destroy: async () => {},
    observe(id: string, signal: AbortSignal) {
      driver.observers++;
      return observe(id, signal);
    },
  };
  return driver;
}

async function collect(iterable: AsyncIterable<Observation>, count: number) {
  const seen: Observation[] = [];
  for await (const o of iterable) {
    seen.push(o);
    if (seen.length === count) break;
  }
  return seen;
}

describe("observation hub", () => {
  it("shares one observation of the platform among every follower of an instance", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const driver = makeDriver(async function* () {
      yield observation(1);
      await gate;
      yield observation(2, "ready");
    });
    const hub = createObservationHub({});
    const signal = new AbortController().signal;
    const followers = Array.from({ length: 50 }, () => collect(hub.watch(driver, "x", signal), 2));
    release();
    const results = await Promise.all(followers);
    expect(driver.observers).toBe(1);
    for (const seen of results) expect(seen.map((o) => o.version)).toEqual([1, 2]);
    expect(hub.size).toBe(0);
  });

  it("tells followers, with a typed error, when the platform cannot be reached", async () => {
    const driver = makeDriver(async function* () {
      yield* [];
      throw new DriverError("unavailable", "the Docker engine at /run/x.sock does not answer");
    });
    const errors: unknown[] = [];
    const hub = createObservationHub({ onError: (_id, e) => errors.push(e) });
    const failure = await collect(hub.watch(driver, "x", new AbortController().signal), 1).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(DriverError);
    expect((failure as DriverError).code).toBe("unavailable");
    expect(errors.length).toBeGreaterThanOrEqual(3);
  });

  it("turns a failed ensure into a failed observation, once", async () => {
    const driver = makeDriver(async function* (_id, signal) {
      yield observation(1, "creating");
      await new Promise((r) => signal.addEventListener("abort", r));
    });
    let ensures = 0;
    driver.ensure = async () => {
      ensures++;
      throw new DriverError("platform", "could not create the container: no space left");
    };
    const hub = createObservationHub({});
    const watch = hub.watch(driver, "x", new AbortController().signal)[Symbol.asyncIterator]();
    expect((await watch.next()).value).toMatchObject({ version: 1, phase: "creating" });
    const spec = { id: "x", template: {} as never, createdAt: 0, owner: "local", expiresAt: 1 };
    await Promise.all([hub.ensure(driver, spec, {}), hub.ensure(driver, spec, {})]);
    expect(ensures).toBe(1);
    expect((await watch.next()).value).toMatchObject({
      version: 2,
      phase: "failed",
      error: "could not create the container: no space left",
    });
    await watch.return?.();
  });
});
