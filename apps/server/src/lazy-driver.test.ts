import type { Driver, Observation } from "@launcher/drivers";
import { describe, expect, it } from "vitest";
import { lazyDriver } from "./lazy-driver.ts";

describe("lazy driver", () => {
  it("loads its module once, at the first call, and again after a failed load", async () => {
    let loads = 0;
    const observation: Observation = { version: 1, phase: "ready", steps: [], logTail: [] };
    const real = {
      name: "docker",
      available: async () => ({ available: true as const }),
      async *observe() {
        yield observation;
      },
    } as unknown as Driver;
    const driver = lazyDriver("docker", async () => {
      if (++loads === 1) throw new Error("cannot load");
      return real;
    });
    expect(driver.loaded).toBe(false);
    expect(loads).toBe(0);
    await expect(driver.available()).rejects.toThrow("cannot load");
    expect(driver.loaded).toBe(false);
    const [first, second] = await Promise.all([driver.available(), driver.available()]);
    expect(first).toEqual({ available: true });
    expect(second).toEqual({ available: true });
    expect(loads).toBe(2);
    expect(driver.loaded).toBe(true);
    const seen: Observation[] = [];
    for await (const o of driver.observe("x", new AbortController().signal)) seen.push(o);
    expect(seen).toEqual([observation]);
    expect(loads).toBe(2);
  });
});
