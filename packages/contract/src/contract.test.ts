import { describe, expect, it } from "vitest";
import { assertInstanceId, isInstanceId, isTerminal, PHASES, phaseRank } from "./index.ts";

describe("contract", () => {
  it("ends a follow at ready, failed and destroyed only", () => {
    expect(PHASES.filter(isTerminal)).toEqual(["ready", "failed", "destroyed"]);
  });

  it("ranks destroying after every phase an instance can be in when it is destroyed", () => {
    for (const phase of PHASES.filter((p) => p !== "destroying" && p !== "destroyed")) {
      expect(phaseRank(phase)).toBeLessThan(phaseRank("destroying"));
    }
    expect(phaseRank("destroying")).toBeLessThan(phaseRank("destroyed"));
  });

  it("accepts only 32 lowercase hex characters as an instance id", () => {
    expect(isInstanceId("0123456789abcdef0123456789abcdef")).toBe(true);
    for (const bad of ["", "0123456789ABCDEF0123456789abcdef", "../../etc", "a".repeat(33), 42]) {
      expect(isInstanceId(bad)).toBe(false);
      expect(() => assertInstanceId(bad)).toThrow(TypeError);
    }
  });
});
