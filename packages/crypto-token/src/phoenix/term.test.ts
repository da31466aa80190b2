import { deflateSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_DEPTH } from "./etf-tags.ts";
import { MAX_INFLATED_SIZE } from "./inflate.ts";
import type { JsonValue } from "./json.ts";
import { decodePayload, encodePayload } from "./payload.ts";
import { readJson, TermReader } from "./term-decoder.ts";
import { TermWriter, writeJson } from "./term-encoder.ts";
import { hex, outcome, outcomeOf, unhex } from "./test-helpers.ts";
import { vectors } from "./vectors.ts";

function encodeTerm(value: JsonValue): Uint8Array {
  const w = new TermWriter();
  w.u8(131);
  writeJson(w, value);
  return w.result();
}

function decodeTerm(bytes: Uint8Array): JsonValue {
  const r = new TermReader(bytes);
  if (r.u8() !== 131) throw new Error("test term lacks its version byte");
  const value = readJson(r);
  r.end();
  return value;
}

const decodeHex = (h: string) => decodeTerm(unhex(`83${h.replace(/\s/g, "")}`));
const refusalOf = (h: string) => outcomeOf(() => decodeHex(h));
/** A term's hex, wrapped as the data of a 3-tuple payload signed at 1000 ms with max_age 60. */
const payloadHex = (dataHex: string) => `8368 03 ${dataHex} 62000003e8 613c`.replace(/\s/g, "");

describe("term encoding matches :erlang.term_to_binary", () => {
  // Maps of more than 32 keys are written in hash order by Erlang; compare those by value only.
  const okVectors = vectors.filter((v) => "ok" in v.expected && v.term_hex !== undefined);

  it.each(okVectors.map((v) => [v.name, v] as const))("%s", (_name, v) => {
    const data = (v.expected as { ok: JsonValue }).ok;
    expect(decodeTerm(unhex(v.term_hex!))).toEqual(data);
    const isBigMap = typeof data === "object" && data !== null && Object.keys(data).length > 32;
    // OTP 25 wrote the vectors; its atoms are ATOM_EXT, as ours are.
    if (!isBigMap) expect(hex(encodeTerm(data))).toBe(v.term_hex);
  });

  it("writes integers, floats and byte lists as Erlang does", () => {
    expect(hex(encodeTerm(-1))).toBe("8362ffffffff");
    expect(hex(encodeTerm(2 ** 31))).toBe("836e040000000080");
    expect(hex(encodeTerm(-(2 ** 40)))).toBe("836e06010000000000" + "01");
    expect(hex(encodeTerm(1.5))).toBe("83463ff8000000000000");
    expect(hex(encodeTerm([1, 2, 3]))).toBe("836b0003010203");
    expect(hex(encodeTerm({ b: 1, a: 2 }))).toBe(
      "8374000000026d00000001616102" + "6d000000016261" + "01",
    );
  });
});

describe("term decoding: every tag the format document lists", () => {
  it.each([
    ["SMALL_INTEGER_EXT", "61ff", 255],
    ["INTEGER_EXT", "62ffffffff", -1],
    ["SMALL_BIG_EXT", "6e0700ffffffffffff1f", Number.MAX_SAFE_INTEGER],
    ["SMALL_BIG_EXT negative", "6e0701ffffffffffff1f", -Number.MAX_SAFE_INTEGER],
    ["SMALL_BIG_EXT with leading zero digits", `6e0a0001${"00".repeat(9)}`, 1],
    ["LARGE_BIG_EXT", "6f000000020001ff", 0xff00 + 1],
    ["NEW_FLOAT_EXT", "46400921fb54442d18", Math.PI],
    ["NIL_EXT", "6a", []],
    ["STRING_EXT", "6b0003010203", [1, 2, 3]],
    ["LIST_EXT", "6c00000002620001000061 6a6a", [65536, 106]],
    ["empty LIST_EXT", "6c000000006a", []],
    ["MAP_EXT", "74000000016d00000001616d00000000", { a: "" }],
    ["BINARY_EXT (UTF-8)", "6d00000003e29c93", "✓"],
    ["ATOM_EXT true", "640004747275 65", true],
    ["SMALL_ATOM_EXT false", "730566616c7365", false],
    ["ATOM_UTF8_EXT nil", "7600036e696c", null],
    ["SMALL_ATOM_UTF8_EXT true", "770474727565", true],
  ])("%s", (_name, h, expected) => {
    expect(decodeHex(h)).toEqual(expected);
  });

  it("maps a key named __proto__ to an own property", () => {
    const value = decodeHex("74000000016d000000095f5f70726f746f5f5f6101") as Record<
      string,
      JsonValue
    >;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, "__proto__")).toBe(true);
    expect(Object.keys(value)).toEqual(["__proto__"]);
  });
});

describe("term decoding refuses what has no JSON form, or is malformed, with invalid", () => {
  it.each([
    ["a tuple in the data", "680261016102"],
    ["an atom other than true/false/nil", "6400036f6e65"],
    ["the atom infinity in the data", "770869 6e66696e697479".replace(" ", "")],
    ["an improper list", "6c00000001610161 02"],
    ["a bit-binary", "4d0000000103ff"],
    ["a pid", "5877036e6f640000000100000000 00000000"],
    ["a reference", "5a0001770361626300000000 00000001"],
    ["a port", "59770361626300000000 00000001"],
    ["a fun", "71640001 6d640001 66 61 00"],
    ["a non-UTF-8 binary", "6d00000001ff"],
    ["a map with an integer key", "74000000016101 6101"],
    ["a map with an atom key", "7400000001770161 6101"],
    ["a map with a duplicate key", "74000000026d0000000161 61016d000000016161 02"],
    ["a NaN float", "467ff8000000000000"],
    ["an infinite float", "467ff0000000000000"],
    ["an integer beyond 2^53 − 1", "6e0700000000000000 20"],
    ["an 8-byte big", "6e080001000000000000 01"],
    ["trailing bytes", "610100"],
    ["an unknown tag", "ff"],
    ["nothing", ""],
    ["a truncated binary", "6d0000000a6162"],
    ["a binary length of 2^32 − 1", "6dffffffff"],
    ["a list length of 2^32 − 1", "6cffffffff6a"],
    ["a map arity of 2^32 − 1", "74ffffffff"],
    ["a string length beyond the input", "6bffff01"],
    ["a LARGE_BIG_EXT length beyond the input", "6fffffffff00"],
    ["an over-long atom", `6401 00${"61".repeat(256)}`],
    ["a compressed term inside the data", "50000000017801"],
  ])("%s", (_name, h) => {
    expect(refusalOf(h.replace(/\s/g, ""))).toBe("invalid");
  });

  it(`refuses nesting deeper than ${MAX_DEPTH} levels, and accepts ${MAX_DEPTH}`, () => {
    const nested = (depth: number) => `${"6c00000001".repeat(depth)}6a${"6a".repeat(depth)}`;
    expect(refusalOf(nested(MAX_DEPTH + 1))).toBe("invalid");
    expect(refusalOf(nested(MAX_DEPTH))).toBe("ok");
    // A million levels: refused quickly, no stack overflow.
    expect(refusalOf(nested(1_000_000))).toBe("invalid");
  });

  it("refuses values nested too deeply on the way out too (TypeError), so encode ⊆ decode", () => {
    let deep: JsonValue = [];
    for (let i = 0; i < MAX_DEPTH; i++) deep = [deep];
    expect(() => encodeTerm(deep)).toThrow(TypeError);
    expect(decodeTerm(encodeTerm((deep as JsonValue[])[0]!))).toEqual((deep as JsonValue[])[0]);
  });
});

describe("payload shapes", () => {
  it("reads {data, signed_at_ms, max_age}, {data, signed} and %{data:, signed:}", async () => {
    expect(await decodePayload(unhex(payloadHex("6101")))).toEqual({
      data: 1,
      signedAtMs: 1000,
      maxAge: 60,
    });
    expect(await decodePayload(unhex("8368026101 62000003e8".replace(" ", "")))).toEqual({
      data: 1,
      signedAtMs: 1000,
      maxAge: 86400,
    });
    const map = "8374000000027706736967 6e6564 62000003e8 640004 64617461 6101".replace(/\s/g, "");
    expect(await decodePayload(unhex(map))).toEqual({ data: 1, signedAtMs: 1000, maxAge: 86400 });
  });

  it("reads max_age :infinity and a float max_age", async () => {
    const inf = "836803610162000003e87708696e66696e697479";
    expect((await decodePayload(unhex(inf))).maxAge).toBe("infinity");
    const half = "836803610162000003e846 3fe0000000000000".replace(" ", "");
    expect((await decodePayload(unhex(half))).maxAge).toBe(0.5);
  });

  it.each([
    ["no version byte", "68036101 62000003e8 613c"],
    ["a 4-tuple", "8368046101 62000003e8 613c 613c"],
    ["a non-number signed_at", "8368036101 6d00000000 613c"],
    ["an atom max_age other than infinity", "8368036101 62000003e8 770361626 3"],
    ["a map with a third key", "837400000003 770464617461 6101 7706736967 6e6564 6101 770178 6101"],
    ["a map with binary keys", "837400000002 6d0000000464617461 6101 6d000000067369676e6564 6101"],
    ["a list", "836a"],
    ["trailing bytes", `${payloadHex("6101")}00`],
  ])("refuses %s", async (_name, h) => {
    expect(await outcome(decodePayload(unhex(h.replace(/\s/g, ""))))).toBe("invalid");
  });
});

describe("compressed terms (tag 80, zlib)", () => {
  const compress = (termHex: string, declared?: number) => {
    const term = unhex(termHex);
    const size = Buffer.alloc(4);
    size.writeUInt32BE(declared ?? term.length);
    return new Uint8Array(Buffer.concat([Buffer.from([131, 80]), size, deflateSync(term)]));
  };
  const inner = payloadHex("6d0000000b68656c6c6f20776f726c64").slice(2);

  it("inflates and reads them", async () => {
    expect((await decodePayload(compress(inner))).data).toBe("hello world");
  });

  it("refuses a stream that inflates to more, or less, than its declared size", async () => {
    const size = inner.length / 2;
    expect(await outcome(decodePayload(compress(inner, size - 1)))).toBe("invalid");
    expect(await outcome(decodePayload(compress(inner, size + 1)))).toBe("invalid");
  });

  it("refuses a declared size beyond the cap before inflating anything", async () => {
    expect(await outcome(decodePayload(compress(inner, MAX_INFLATED_SIZE + 1)))).toBe("invalid");
  });

  it("refuses a zlib bomb at its small declared size", async () => {
    const bomb = new Uint8Array(
      Buffer.concat([Buffer.from([131, 80, 0, 0, 0, 16]), deflateSync(Buffer.alloc(64 << 20))]),
    );
    expect(await outcome(decodePayload(bomb))).toBe("invalid");
  });

  it("refuses what is not a zlib stream, or is cut short", async () => {
    expect(await outcome(decodePayload(unhex("83500000000a00112233445566")))).toBe("invalid");
    const whole = compress(inner);
    expect(await outcome(decodePayload(whole.subarray(0, whole.length - 5)))).toBe("invalid");
    expect(await outcome(decodePayload(unhex("8350000000")))).toBe("invalid");
  });
});

describe("round trips TS → TS over random JSON values", () => {
  it("decodes what it encodes", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        expect(decodeTerm(encodeTerm(value as JsonValue))).toEqual(value);
      }),
      { numRuns: 1000 },
    );
  });

  it("decodes what it encodes, with full Unicode strings and keys", () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: "grapheme" }), (value) => {
        expect(decodeTerm(encodeTerm(value as JsonValue))).toEqual(value);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps the payload's time and max_age", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 3 }),
        fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
        fc.oneof(
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.constant("infinity" as const),
        ),
        async (data, signedAtMs, maxAge) => {
          const payload = { data: data as JsonValue, signedAtMs, maxAge };
          expect(await decodePayload(encodePayload(payload))).toEqual(payload);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("fuzz: random and mutated terms give a value or invalid, never anything else", () => {
  const decodeAny = (bytes: Uint8Array) => outcome(decodePayload(bytes));

  it("random bytes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        expect(["ok", "invalid"]).toContain(await decodeAny(new Uint8Array([131, ...bytes])));
      }),
      { numRuns: 2000 },
    );
  });

  it("random bytes after each tag", async () => {
    const tags = [70, 80, 97, 98, 100, 104, 105, 106, 107, 108, 109, 110, 111, 115, 116, 118, 119];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...tags),
        fc.uint8Array({ maxLength: 64 }),
        async (tag, bytes) => {
          expect(["ok", "invalid"]).toContain(
            await decodeAny(new Uint8Array([131, 104, 3, tag, ...bytes])),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("mutated encodings of random JSON values (flips, cuts, splices)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 4 }),
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat({ max: 2 })), {
          minLength: 1,
          maxLength: 4,
        }),
        async (data, compressed, mutations) => {
          let bytes = encodePayload({ data: data as JsonValue, signedAtMs: 1, maxAge: 60 });
          if (compressed) {
            const size = Buffer.alloc(4);
            size.writeUInt32BE(bytes.length - 1);
            bytes = new Uint8Array(
              Buffer.concat([Buffer.from([131, 80]), size, deflateSync(bytes.subarray(1))]),
            );
          }
          let mutated = Array.from(bytes);
          for (const [at, byte, kind] of mutations) {
            const i = at % mutated.length;
            if (kind === 0) mutated[i] = byte;
            else if (kind === 1) mutated = mutated.slice(0, i);
            else mutated.splice(i, 0, byte);
          }
          expect(["ok", "invalid"]).toContain(await decodeAny(new Uint8Array(mutated)));
        },
      ),
      { numRuns: 500 },
    );
  }, 60_000);
});
