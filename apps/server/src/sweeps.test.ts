import { waitFor } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import type { LazyDriver } from "./lazy-driver.ts";
import type { Logger } from "./logger.ts";
import { sweepAfterStart } from "./sweeps.ts";

function driver(name: string, loaded: boolean, fail = false) {
  const sweeps: number[] = [];
  const d = {
    name,
    loaded,
    sweep: async () => {
      sweeps.push(Date.now());
      if (fail) throw new Error("the engine does not answer");
    },
  } as unknown as LazyDriver;
  return { driver: d, sweeps };
}

describe("the sweep after start", () => {
  it("sweeps local and every loaded driver once, logs a failure, and leaves unloaded ones be", async () => {
    const local = driver("local", false);
    const docker = driver("docker", true, true);
    const fly = driver("fly", false);
    const warnings: unknown[] = [];
    const logger = { warn: (fields: unknown) => warnings.push(fields) } as unknown as Logger;
    const drivers = new Map([local, docker, fly].map((d) => [d.driver.name, d.driver]));
    sweepAfterStart(drivers, logger, 0);
    await waitFor(() => warnings.length === 1, "the failed sweep logged");
    expect(warnings[0]).toMatchObject({ driver: "docker", err: "the engine does not answer" });
    expect(local.sweeps).toHaveLength(1);
    expect(docker.sweeps).toHaveLength(1);
    expect(fly.sweeps).toEqual([]);
  });

  it("does nothing once cancelled", async () => {
    const local = driver("local", false);
    const cancel = sweepAfterStart(new Map([["local", local.driver]]), {} as Logger, 0);
    cancel();
    // Timers of one delay fire in the order they were set: once this one has, the other would have.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(local.sweeps).toEqual([]);
  });
});
