import type { DestroyReason, Driver, InstanceInfo, Phase } from "@launcher/drivers";
import { describe, expect, it, vi } from "vitest";
import { createInstanceLister } from "./instance-lister.ts";
import { createReaper } from "./reaper.ts";

const id = (n: number) => n.toString(16).padStart(32, "0");
const quiet = { info() {}, warn() {}, error() {} };

/**
 * A platform's listing and teardown, as the drivers do them: `destroy` is idempotent and
 * leaves the instance `destroying` until its teardown ends, `sweep` finishes teardowns.
 */
function platformDriver(name: string) {
  const instances = new Map<string, InstanceInfo>();
  const destroyed: [string, DestroyReason | undefined][] = [];
  let sweeps = 0;
  let failDestroy: Error | undefined;
  const driver: Driver & {
    add(n: number, expiresAt: number, phase?: Phase): void;
    destroyed: typeof destroyed;
    readonly sweeps: number;
    failDestroy: Error | undefined;
    unavailable?: string;
  } = {
    name,
    destroyed,
    get sweeps() {
      return sweeps;
    },
    get failDestroy() {
      return failDestroy;
    },
    set failDestroy(error) {
      failDestroy = error;
    },
    add(n, expiresAt, phase = "ready") {
      instances.set(id(n), {
        id: id(n),
        owner: "ada",
        template: "demo",
        phase,
        createdAt: 0,
        expiresAt,
      });
    },
    available: async () =>
      driver.unavailable ? { available: false, reason: driver.unavailable } : { available: true },
    availableFor: async () => ({ available: true }),
    ensure: async () => {},
    recordFailure: async () => {},
    async *observe() {},
    async destroy(instanceId, reason) {
      if (failDestroy) throw failDestroy;
      destroyed.push([instanceId, reason]);
      instances.delete(instanceId);
    },
    list: async () => [...instances.values()],
    async sweep() {
      sweeps++;
      for (const [key, info] of instances) if (info.phase === "destroying") instances.delete(key);
    },
  };
  return driver;
}

function reaperOver(drivers: ReturnType<typeof platformDriver>[], now = 1000) {
  const lister = createInstanceLister({
    drivers: new Map(drivers.map((d) => [d.name, d])),
    logger: quiet,
  });
  return createReaper({ lister, logger: quiet, intervalMs: 60_000, now: () => now });
}

describe("reaper", () => {
  it("destroys what is past its expiry on every platform, as expired, then sweeps each", async () => {
    const local = platformDriver("local");
    const docker = platformDriver("docker");
    local.add(1, 999);
    local.add(2, 1000);
    local.add(3, 1001);
    docker.add(4, 10, "failed");
    docker.add(5, 5000, "starting");
    const result = await reaperOver([local, docker]).reap();
    expect(result.expired.map((i) => i.id).sort()).toEqual([id(1), id(2), id(4)]);
    expect(local.destroyed.sort()).toEqual([
      [id(1), "expired"],
      [id(2), "expired"],
    ]);
    expect(docker.destroyed).toEqual([[id(4), "expired"]]);
    expect((await local.list()).map((i) => i.id)).toEqual([id(3)]);
    expect([local.sweeps, docker.sweeps]).toEqual([1, 1]);
  });

  it("leaves a teardown under way to sweep, which finishes one a crash left half-done", async () => {
    const local = platformDriver("local");
    local.add(1, 10, "destroying");
    const result = await reaperOver([local]).reap();
    expect(result.expired).toEqual([]);
    expect(local.destroyed).toEqual([]);
    expect(await local.list()).toEqual([]);
  });

  it("skips a platform that does not answer and reaps the others", async () => {
    const local = platformDriver("local");
    const docker = platformDriver("docker");
    docker.unavailable = "Cannot connect to the Docker engine";
    local.add(1, 10);
    docker.add(2, 10);
    const result = await reaperOver([local, docker]).reap();
    expect(result.expired.map((i) => i.id)).toEqual([id(1)]);
    expect(docker.sweeps).toBe(0);
    expect(docker.destroyed).toEqual([]);
  });

  it("tries a destroy that failed again in the next round", async () => {
    const local = platformDriver("local");
    local.add(1, 10);
    local.failDestroy = new Error("engine busy");
    const reaper = reaperOver([local]);
    expect((await reaper.reap()).failed.map((i) => i.id)).toEqual([id(1)]);
    local.failDestroy = undefined;
    expect((await reaper.reap()).failed).toEqual([]);
    expect(local.destroyed).toEqual([[id(1), "expired"]]);
  });

  it("is safe when several replicas reap at once", async () => {
    const local = platformDriver("local");
    for (let n = 1; n <= 20; n++) local.add(n, 10);
    const replicas = [reaperOver([local]), reaperOver([local]), reaperOver([local])];
    const results = await Promise.all(replicas.map((r) => r.reap()));
    expect(results.every((r) => r.failed.length === 0)).toBe(true);
    expect(await local.list()).toEqual([]);
    // Each instance destroyed at least once, and only with the reason `expired`.
    expect(new Set(local.destroyed.map(([i]) => i)).size).toBe(20);
    expect(local.destroyed.every(([, reason]) => reason === "expired")).toBe(true);
  });

  it("reaps every interval, jittered, once started, and no more once stopped", async () => {
    vi.useFakeTimers();
    try {
      const local = platformDriver("local");
      local.add(1, 10);
      const lister = createInstanceLister({ drivers: new Map([["local", local]]), logger: quiet });
      // random() = 0.5: the first round after 3/4 of an interval, the next ones a whole one apart.
      const reaper = createReaper({ lister, logger: quiet, intervalMs: 1000, random: () => 0.5 });
      reaper.start();
      await vi.advanceTimersByTimeAsync(749);
      expect(local.sweeps).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(local.destroyed).toEqual([[id(1), "expired"]]);
      local.add(2, 10);
      await vi.advanceTimersByTimeAsync(1000);
      expect(local.destroyed.map(([i]) => i)).toEqual([id(1), id(2)]);
      await reaper.stop();
      local.add(3, 10);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(local.destroyed).toHaveLength(2);
      expect(local.sweeps).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("stops only once the round under way has ended", async () => {
    const local = platformDriver("local");
    local.add(1, 10);
    let finish!: () => void;
    let destroying!: () => void;
    const started = new Promise<void>((resolve) => {
      destroying = resolve;
    });
    const destroy = local.destroy;
    local.destroy = async (...args) => {
      destroying();
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
      return destroy(...args);
    };
    const lister = createInstanceLister({ drivers: new Map([["local", local]]), logger: quiet });
    const reaper = createReaper({ lister, logger: quiet, intervalMs: 1, random: () => 0 });
    reaper.start();
    await started;
    let stopped = false;
    const stopping = reaper.stop().then(() => {
      stopped = true;
    });
    await Promise.resolve();
    expect(stopped).toBe(false);
    finish();
    await stopping;
    expect(local.destroyed).toEqual([[id(1), "expired"]]);
  });
});
