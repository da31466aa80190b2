import { describe, expect, it } from "vitest";
import { makeRetryDelay } from "./retry-delay.ts";

describe("makeRetryDelay", () => {
  it("starts short, grows, and stays under 2 s (tRPC's default grows to 30 s)", () => {
    const highest = makeRetryDelay({ random: () => 1 });
    const lowest = makeRetryDelay({ random: () => 0 });
    expect([0, 1, 2, 3, 10, 100].map(highest)).toEqual([250, 500, 1000, 2000, 2000, 2000]);
    expect([0, 1, 2, 3, 10].map(lowest)).toEqual([125, 250, 500, 1000, 1000]);
  });

  it("jitters, so that many tabs do not reconnect in lockstep", () => {
    const delay = makeRetryDelay();
    const seen = new Set(Array.from({ length: 50 }, () => delay(3)));
    expect(seen.size).toBeGreaterThan(10);
  });
});
