import { describe, expect, it } from "vitest";
import { cacheFor } from "./availability-cache.ts";
import type { Observation } from "./driver.ts";
import { observeLoop } from "./observe-loop.ts";

const at = (version: number, phase: Observation["phase"] = "starting"): Observation => ({
  version,
  phase,
  steps: [],
  logTail: [],
});

describe("observeLoop", () => {
  it("yields only newer versions and ends at a terminal phase", async () => {
    const reads = [at(1), at(1), at(0), at(2), at(3, "ready"), at(4)];
    const seen: number[] = [];
    for await (const o of observeLoop(new AbortController().signal, {
      read: async () => reads.shift()!,
      intervalMs: () => 1,
      minGapMs: 0,
    })) {
      seen.push(o.version);
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(reads).toHaveLength(1);
  });

  it("reads again at once when the platform reports a change, not at the timer", async () => {
    let version = 0;
    let wake: (() => void) | undefined;
    const controller = new AbortController();
    const seen: number[] = [];
    const loop = (async () => {
      for await (const o of observeLoop(controller.signal, {
        read: async () => at(version),
        subscribe: (w) => {
          wake = w;
          return () => {
            wake = undefined;
          };
        },
        intervalMs: () => 60_000,
      })) {
        seen.push(o.version);
        if (o.version === 0) {
          version = 1;
          setTimeout(() => wake?.(), 0);
        }
        if (o.version === 1) controller.abort();
      }
    })();
    await loop;
    expect(seen).toEqual([0, 1]);
    expect(wake).toBeUndefined();
  });
});

describe("cacheFor", () => {
  it("shares one check within its lifetime and forgets a failed one", async () => {
    let calls = 0;
    const ok = cacheFor(60_000, async () => ++calls);
    expect(await Promise.all([ok(), ok()])).toEqual([1, 1]);
    let fails = 0;
    const failing = cacheFor(60_000, async () => {
      fails++;
      throw new Error("down");
    });
    await expect(failing()).rejects.toThrow("down");
    await expect(failing()).rejects.toThrow("down");
    expect(fails).toBe(2);
  });
});
