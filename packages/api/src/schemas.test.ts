import { describe, expect, it } from "vitest";
import { FollowInputSchema } from "./schemas.ts";

describe("FollowInputSchema", () => {
  it("accepts every version a driver may send as an event id, up to 2^53 - 1", () => {
    // Docker versions are engine timestamps × 1000 (16 digits); destroyed is MAX_SAFE_INTEGER.
    for (const id of ["0", "1795761000181200", String(Number.MAX_SAFE_INTEGER)]) {
      expect(FollowInputSchema.safeParse({ ticket: "t", lastEventId: id }).success, id).toBe(true);
    }
  });

  it("refuses event ids that are not safe decimal integers", () => {
    for (const id of [
      "",
      "-1",
      "1.5",
      "1e3",
      " 1",
      String(Number.MAX_SAFE_INTEGER + 2),
      "12345678901234567",
    ]) {
      expect(FollowInputSchema.safeParse({ ticket: "t", lastEventId: id }).success, id).toBe(false);
    }
  });
});
