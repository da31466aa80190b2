import { getEventListeners } from "node:events";
import type { Driver, Observation } from "@launcher/drivers";
import { DriverError } from "@launcher/drivers";
import { waitFor } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import { createFakeDriver } from "./fake-driver.ts";
import { createObservationHub } from "./observation-hub.ts";

const observation = (version: number, phase: Observation["phase"] = "starting"): Observation => ({
  version,
  phase,
  steps: [],
  logTail: [],
});

/** A driver whose observe the test writes by hand; counts its observers. */
function makeDriver(observe: Driver["observe"]) {
  const driver = createFakeDriver("test");
  const counted = {
    ...driver,
    observe(id: string, signal: AbortSignal) {
      driver.calls.observe++;
      return observe(id, signal);
    },
  };
  return { driver: counted, calls: driver.calls };
}

async function collect(iterable: AsyncIterable<Observation>, count: number) {
  const seen: Observation[] = [];
  for await (const o of iterable) {
    seen.push(o);
    if (seen.length === count) break;
  }
  return seen;
}

const fast = { retry: { baseDelayMs: 1, maxDelayMs: 2 } };

describe("observation hub", () => {
  it("shares one observation of the platform among every follower of an instance", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { driver, calls } = makeDriver(async function* () {
      yield observation(1);
      await gate;
      yield observation(2, "ready");
    });
    const hub = createObservationHub({});
    const signal = new AbortController().signal;
    const followers = Array.from({ length: 50 }, () => collect(hub.watch(driver, "x", signal), 2));
    release();
    const results = await Promise.all(followers);
    expect(calls.observe).toBe(1);
    for (const seen of results) expect(seen.map((o) => o.version)).toEqual([1, 2]);
    expect(hub.size).toBe(0);
  });

  it("shares one observation among followers who come and go one after another (a follow storm)", async () => {
    const driver = createFakeDriver();
    driver.move("x", "starting");
    const hub = createObservationHub({ lingerMs: 60_000 });
    for (let i = 0; i < 100; i++) {
      const controller = new AbortController();
      const [first] = await collect(hub.watch(driver, "x", controller.signal), 1);
      expect(first).toMatchObject({ phase: "starting" });
      controller.abort();
    }
    expect(driver.calls.observe).toBe(1);
    expect(hub.size).toBe(1); // kept a while for the next follower
    hub.close();
    expect(hub.size).toBe(0);
  });

  it("does not keep an observation that ended: a later follower reads the platform again", async () => {
    const driver = createFakeDriver();
    driver.move("x", "ready");
    const hub = createObservationHub({ lingerMs: 60_000 });
    const signal = new AbortController().signal;
    expect((await collect(hub.watch(driver, "x", signal), 1))[0]?.phase).toBe("ready");
    driver.move("x", "destroyed");
    expect((await collect(hub.watch(driver, "x", signal), 1))[0]?.phase).toBe("destroyed");
    expect(hub.size).toBe(0);
  });

  it("rides out a brief platform failure without telling followers", async () => {
    const driver = createFakeDriver();
    driver.move("x", "starting");
    driver.failReads = new DriverError("unavailable", "the engine restarts");
    const errors: unknown[] = [];
    const hub = createObservationHub({
      ...fast,
      onError: (_id, e) => {
        errors.push(e);
        if (errors.length === 5) driver.failReads = undefined; // back after 5 failed reads
      },
    });
    const seen = await collect(hub.watch(driver, "x", new AbortController().signal), 1);
    expect(seen[0]).toMatchObject({ phase: "starting", version: 1 });
    expect(errors).toHaveLength(5);
  });

  it("tells followers, with a typed error, when the platform cannot be reached for long", async () => {
    const driver = createFakeDriver();
    driver.failReads = new DriverError("unavailable", "the Docker engine does not answer");
    const errors: unknown[] = [];
    const hub = createObservationHub({
      ...fast,
      unreachableAfterMs: 0,
      onError: (_id, e) => errors.push(e),
    });
    const failure = await collect(hub.watch(driver, "x", new AbortController().signal), 1).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(DriverError);
    expect((failure as DriverError).code).toBe("unavailable");
    expect(errors.length).toBeGreaterThanOrEqual(3);
  });

  it("leaves no abort listener behind, however many changes and retries a follower waits through", async () => {
    const driver = createFakeDriver();
    driver.move("x", "starting");
    let failed = 0;
    const hub = createObservationHub({
      ...fast,
      onError: () => {
        if (++failed === 50) driver.failReads = undefined;
      },
    });
    const follower = new AbortController();
    const watch = hub.watch(driver, "x", follower.signal)[Symbol.asyncIterator]();
    expect((await watch.next()).value).toMatchObject({ version: 1 });
    const baseline = {
      follower: getEventListeners(follower.signal, "abort").length,
      observer: getEventListeners(driver.observeSignals[0]!, "abort").length,
    };
    for (let version = 2; version <= 200; version++) {
      const next = watch.next();
      driver.move("x", "starting", { message: `step ${version}` });
      expect((await next).value).toMatchObject({ version });
    }
    // 50 failed reads in a row, each followed by a backoff pause, then the platform is back.
    driver.failReads = new DriverError("platform", "503");
    driver.move("x", "starting");
    await waitFor(() => failed >= 50, "the retries to end");
    expect((await watch.next()).value).toMatchObject({ version: 201 });
    expect(driver.calls.observe).toBeGreaterThan(50);
    expect(getEventListeners(follower.signal, "abort").length).toBeLessThanOrEqual(
      baseline.follower,
    );
    // Every observe ran under the hub's one signal: each retry's pause left nothing on it.
    expect(getEventListeners(driver.observeSignals[0]!, "abort").length).toBeLessThanOrEqual(
      baseline.observer,
    );
    await watch.return?.();
  });
});
