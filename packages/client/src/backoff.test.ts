import { describe, expect, it } from "vitest";
import { retryDelay } from "./backoff.ts";

describe("retryDelay", () => {
  it("starts short, grows, and stays under its cap", () => {
    const highest = (n: number) => retryDelay(n, { random: () => 1 });
    const lowest = (n: number) => retryDelay(n, { random: () => 0 });
    expect([0, 1, 2, 3, 10, 100].map(highest)).toEqual([250, 500, 1000, 2000, 2000, 2000]);
    expect([0, 1, 2, 3, 10].map(lowest)).toEqual([125, 250, 500, 1000, 1000]);
  });

  it("jitters, so that many clients do not retry in lockstep", () => {
    const seen = new Set(Array.from({ length: 50 }, () => retryDelay(3)));
    expect(seen.size).toBeGreaterThan(10);
  });
});
