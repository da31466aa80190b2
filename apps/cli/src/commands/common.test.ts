import { describe, expect, it } from "vitest";
import { describeLaunch } from "./common.ts";

describe("describeLaunch", () => {
  it("gives the full id, the template, the last phase and when it was kept, in UTC", () => {
    const launch = {
      id: "0123456789abcdef0123456789abcdef",
      ticket: "sealed",
      template: "scratchpad",
      storedAt: Date.UTC(2026, 11, 5, 4, 40),
    };
    expect(describeLaunch(launch)).toBe(
      "0123456789abcdef0123456789abcdef  scratchpad   not started 2026-12-05 04:40 UTC",
    );
  });
});
