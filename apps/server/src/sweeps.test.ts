import { waitFor } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import type { LazyDriver } from "./lazy-driver.ts";
import type { Logger } from "./logger.ts";
import { startSweeps } from "./sweeps.ts";

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

describe("sweeps", () => {
  it("sweep local and every loaded driver at start and again later, and leave unloaded ones be", async () => {
    const local = driver("local", false);
    const docker = driver("docker", true, true);
    const fly = driver("fly", false);
    const warnings: unknown[] = [];
    const logger = { warn: (fields: unknown) => warnings.push(fields) } as unknown as Logger;
    const drivers = new Map([local, docker, fly].map((d) => [d.driver.name, d.driver]));
    const stop = startSweeps(drivers, logger, { intervalMs: 5, firstDelayMs: 0 });
    try {
      await waitFor(() => local.sweeps.length >= 3 && docker.sweeps.length >= 3, "three sweeps");
      expect(fly.sweeps).toEqual([]);
      // A failing sweep is logged and does not stop the next ones.
      expect(warnings[0]).toMatchObject({ driver: "docker", err: "the engine does not answer" });
    } finally {
      stop();
    }
    const count = local.sweeps.length;
    await new Promise((resolve) => setImmediate(resolve));
    expect(local.sweeps.length).toBeLessThanOrEqual(count + 1);
  });
});
