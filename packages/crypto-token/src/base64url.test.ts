import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64url, encodeBase64url } from "./base64url.ts";

describe("base64url", () => {
  it("encodes like Node's base64url and decodes back, for any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = encodeBase64url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString("base64url"));
        expect(decodeBase64url(text)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ["padding", "QQ=="],
    ["padding without need", "QUJD="],
    ["whitespace", "QUJD RA"],
    ["a trailing newline", "QUJD\n"],
    ["standard base64 '+'", "ab+c"],
    ["standard base64 '/'", "ab/c"],
    ["a non-ASCII letter", "QUJé"],
    ["a length of 1 mod 4", "QUJDR"],
    ["set unused bits in a 2-char tail", "QUJDRB"],
    ["set unused bits in a 3-char tail", "QUJDRUF"],
  ])("refuses %s", (_, text) => {
    expect(decodeBase64url(text)).toBeUndefined();
  });

  it("accepts exactly the strings that re-encode to themselves", () => {
    const alphabetish = fc.string({
      unit: fc.constantFrom(..."ABCDQRSTgwxyz0189-_=+/ \n\u00e9".split("")),
      maxLength: 12,
    });
    fc.assert(
      fc.property(alphabetish, (text) => {
        const bytes = decodeBase64url(text);
        const canonical = bytes !== undefined && encodeBase64url(bytes) === text;
        expect(bytes !== undefined).toBe(canonical);
      }),
      { numRuns: 2000 },
    );
  });
});
