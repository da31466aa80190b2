import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64Url, encodeBase64url } from "./base64url.ts";

describe("Phoenix's base64url", () => {
  it("decodes what base64url without padding encodes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(decodeBase64Url(encodeBase64url(bytes))).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ["", ""],
    ["AA", "00"],
    ["AA==", "00"],
    ["AAA", "0000"],
    ["AAA=", "0000"],
    ["AB", "00"], // unused trailing bits ignored
    ["AAB", "0000"],
    ["-_-_", "fbffbf"],
  ])("reads %j", (text, hex) => {
    expect(Buffer.from(decodeBase64Url(text)!).toString("hex")).toBe(hex);
  });

  it.each([
    "A",
    "AAAAA",
    "AA=",
    "AAA==",
    "AAAA=",
    "=",
    "==",
    "A===",
    "AA=A",
    "+/AA",
    "AA A",
    "AAé",
  ])("refuses %j", (text) => {
    expect(decodeBase64Url(text)).toBeNull();
  });
});
