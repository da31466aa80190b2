import { Buffer } from "node:buffer";
import { createDecipheriv, hkdfSync } from "node:crypto";
import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as node from "./index.node.ts";
import * as web from "./index.ts";

const paths = [
  ["WebCrypto", web],
  ["node:crypto", node],
] as const;

const T0 = Date.UTC(2026, 0, 1);
const k1 = web.generateKey();
const k2 = web.generateKey();
const ring1 = await web.parseKeyring(`k1:${k1}`);
const ring21 = await web.parseKeyring(`k2:${k2},k1:${k1}`);
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** The refusal's code, or a failure when unseal did not throw a TokenError. */
async function refusal(promise: Promise<unknown>): Promise<web.TokenErrorCode> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!("error" in outcome))
    throw new Error(`expected a refusal, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(web.TokenError);
  return (outcome.error as web.TokenError).code;
}

function reencode(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

describe.each(paths)("%s path", (_, api) => {
  const { seal, unseal } = api;
  const open = (token: string | null | undefined, options: Partial<web.UnsealOptions> = {}) =>
    unseal(ring21, token, { purpose: "launch", now: T0, ...options });

  it("round-trips any JSON value", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const token = await seal(ring21, value, { purpose: "launch", maxAge: 60, now: T0 });
        expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(await open(token)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it("round-trips text from the whole of Unicode", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "grapheme", maxLength: 200 }), async (text) => {
        const token = await seal(ring21, { text }, { purpose: "launch", maxAge: 60, now: T0 });
        expect(await open(token)).toEqual({ text });
      }),
      { numRuns: 200 },
    );
  });

  it("uses a fresh IV: the same value seals to different tokens", async () => {
    const options = { purpose: "launch", maxAge: 60, now: T0 };
    const a = await seal(ring21, { id: 1 }, options);
    const b = await seal(ring21, { id: 1 }, options);
    expect(a).not.toBe(b);
    expect(Buffer.from(a, "base64url").subarray(4, 16)).not.toEqual(
      Buffer.from(b, "base64url").subarray(4, 16),
    );
  });

  describe("a changed token is refused", async () => {
    const token = await seal(
      ring21,
      { id: "i-1", password: "hunter2" },
      {
        purpose: "launch",
        maxAge: 60,
        now: T0,
      },
    );
    const bytes = Buffer.from(token, "base64url");

    it("opens unchanged", async () => {
      expect(await open(token)).toEqual({ id: "i-1", password: "hunter2" });
    });

    it("refuses every single-bit flip of its bytes", async () => {
      for (let bit = 0; bit < bytes.length * 8; bit++) {
        const flipped = Buffer.from(bytes);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        expect(await refusal(open(reencode(flipped)))).toMatch(/^(malformed|invalid|unknown_key)$/);
      }
    });

    it("refuses every single-bit flip of its characters", async () => {
      for (let i = 0; i < token.length; i++) {
        for (let bit = 0; bit < 16; bit++) {
          const c = String.fromCharCode(token.charCodeAt(i) ^ (1 << bit));
          await refusal(open(token.slice(0, i) + c + token.slice(i + 1)));
        }
      }
    });

    it("refuses every other character in every position", async () => {
      for (let i = 0; i < token.length; i++) {
        for (const c of ALPHABET) {
          if (c !== token[i]) await refusal(open(token.slice(0, i) + c + token.slice(i + 1)));
        }
      }
    });

    it("refuses every truncation", async () => {
      for (let n = 0; n < token.length; n++) await refusal(open(token.slice(0, n)));
      for (let n = 0; n < bytes.length; n++) await refusal(open(reencode(bytes.subarray(0, n))));
    });

    it("refuses every extension", async () => {
      for (const suffix of [...ALPHABET, "=", "==", " ", "\n", ".", "AA", "AAAA", token]) {
        await refusal(open(token + suffix));
      }
      for (let n = 1; n <= 20; n++) {
        await refusal(open(reencode(Buffer.concat([bytes, Buffer.alloc(n)]))));
      }
    });
  });

  describe("each refusal has its code", () => {
    const sealed = (options: Partial<web.SealOptions> = {}, keyring = ring21) =>
      seal(keyring, { id: "i-1" }, { purpose: "launch", maxAge: 60, now: T0, ...options });

    it("missing: no token", async () => {
      expect(await refusal(open(""))).toBe("missing");
      expect(await refusal(open(undefined))).toBe("missing");
      expect(await refusal(open(null))).toBe("missing");
    });

    it("malformed: not base64url, or not the v1 layout", async () => {
      const token = await sealed();
      expect(await refusal(open("not a token"))).toBe("malformed");
      expect(await refusal(open(`${token}=`))).toBe("malformed");
      expect(await refusal(open(` ${token}`))).toBe("malformed");
      expect(await refusal(open(42 as unknown as string))).toBe("malformed");
      const bytes = Buffer.from(token, "base64url");
      const v2 = Buffer.from(bytes);
      v2[0] = 2;
      expect(await refusal(open(reencode(v2)))).toBe("malformed");
      const noId = Buffer.from(bytes);
      noId[1] = 0;
      expect(await refusal(open(reencode(noId)))).toBe("malformed");
      expect(await refusal(open(reencode(bytes.subarray(0, 30))))).toBe("malformed");
    });

    it("too_large: over the maximum length, before any decoding", async () => {
      expect(await refusal(open("A".repeat(4097)))).toBe("too_large");
      expect(await refusal(open("=".repeat(5000)))).toBe("too_large");
      const token = await sealed();
      expect(await refusal(open(token, { maxLength: token.length - 1 }))).toBe("too_large");
      expect(await open(token, { maxLength: token.length })).toEqual({ id: "i-1" });
    });

    it("invalid: another purpose", async () => {
      const token = await sealed({ purpose: "session" });
      expect(await refusal(open(token))).toBe("invalid");
      expect(await open(token, { purpose: "session" })).toEqual({ id: "i-1" });
    });

    it("invalid: another key under the same id", async () => {
      const impostor = await web.parseKeyring(`k2:${web.generateKey()}`);
      expect(await refusal(open(await sealed({}, impostor)))).toBe("invalid");
    });

    it("unknown_key: a key id not in the ring", async () => {
      const other = await web.parseKeyring(`k9:${web.generateKey()}`);
      expect(await refusal(open(await sealed({}, other)))).toBe("unknown_key");
    });

    it("expired: at maxAge, and at a stricter maxAge on unseal", async () => {
      const token = await sealed({ maxAge: 60 });
      expect(await open(token, { now: T0 + 59_999 })).toEqual({ id: "i-1" });
      expect(await refusal(open(token, { now: T0 + 60_000 }))).toBe("expired");
      expect(await refusal(open(token, { now: T0 + 86_400_000 }))).toBe("expired");
      expect(await open(token, { now: T0 + 9_999, maxAge: 10 })).toEqual({ id: "i-1" });
      expect(await refusal(open(token, { now: T0 + 10_000, maxAge: 10 }))).toBe("expired");
    });

    it("not_yet_valid: issued more than 30 s in the future", async () => {
      expect(await open(await sealed({ now: T0 + 30_000 }))).toEqual({ id: "i-1" });
      expect(await refusal(open(await sealed({ now: T0 + 30_001 })))).toBe("not_yet_valid");
    });

    it("uses the real clock when no `now` is given", async () => {
      const token = await seal(ring21, { id: "i-1" }, { purpose: "launch", maxAge: 60 });
      expect(await unseal(ring21, token, { purpose: "launch" })).toEqual({ id: "i-1" });
      expect(await refusal(open(token, { now: Date.now() + 61_000 }))).toBe("expired");
    });
  });

  describe("rotation", () => {
    it("seals with the newest key and still opens tokens of an older one", async () => {
      const old = await seal(ring1, { id: "old" }, { purpose: "launch", maxAge: 60, now: T0 });
      const fresh = await seal(ring21, { id: "new" }, { purpose: "launch", maxAge: 60, now: T0 });
      expect(await open(old)).toEqual({ id: "old" });
      expect(await open(fresh)).toEqual({ id: "new" });
      // The old ring does not know the new key yet.
      const options = { purpose: "launch", now: T0 };
      expect(await refusal(unseal(ring1, fresh, options))).toBe("unknown_key");
      // Once k1 is removed, its tokens die.
      const ring2 = await web.parseKeyring(`k2:${k2}`);
      expect(await refusal(unseal(ring2, old, options))).toBe("unknown_key");
      expect(await unseal(ring2, fresh, options)).toEqual({ id: "new" });
    });
  });

  describe("schema", () => {
    const schema = {
      parse(input: unknown): { id: string } {
        if (
          typeof input === "object" &&
          input !== null &&
          typeof (input as { id?: unknown }).id === "string"
        ) {
          return { id: (input as { id: string }).id };
        }
        throw new Error("expected { id: string }");
      },
    };

    it("returns what the schema returns", async () => {
      const token = await seal(
        ring21,
        { id: "i-1", extra: 1 },
        { purpose: "launch", maxAge: 60, now: T0 },
      );
      const value = await unseal(ring21, token, { purpose: "launch", now: T0, schema });
      expectTypeOf(value).toEqualTypeOf<{ id: string }>();
      expect(value).toEqual({ id: "i-1" });
    });

    it("refuses as invalid a value the schema rejects, with the schema's error as cause", async () => {
      const token = await seal(ring21, { id: 7 }, { purpose: "launch", maxAge: 60, now: T0 });
      const error = await unseal(ring21, token, { purpose: "launch", now: T0, schema }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(web.TokenError);
      expect((error as web.TokenError).code).toBe("invalid");
      expect((error as Error).cause).toEqual(new Error("expected { id: string }"));
    });

    it("without a schema the value is unknown", async () => {
      const token = await seal(ring21, 1, { purpose: "launch", maxAge: 60, now: T0 });
      expectTypeOf(await open(token)).toEqualTypeOf<unknown>();
    });
  });

  it("refuses random strings with a TokenError, never anything else", async () => {
    const base64ish = fc.string({ unit: fc.constantFrom(...`${ALPHABET}=+/ .`), maxLength: 300 });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 300 }), base64ish, fc.string({ unit: "binary" })),
        async (text) => {
          await refusal(open(text));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("refuses random byte strings shaped like a token", async () => {
    const header = fc.constantFrom(
      [1, 2, 0x6b, 0x32],
      [1, 2, 0x6b, 0x31],
      [1, 9],
      [0],
      [2, 2, 0x6b, 0x32],
    );
    await fc.assert(
      fc.asyncProperty(header, fc.uint8Array({ maxLength: 120 }), async (head, body) => {
        await refusal(open(reencode(Buffer.concat([Buffer.from(head), body]))));
      }),
      { numRuns: 1000 },
    );
  });

  describe("caller misuse is a TypeError", () => {
    const ok = { purpose: "launch", maxAge: 60 };

    it.each([
      ["no options", undefined],
      ["an empty purpose", { ...ok, purpose: "" }],
      ["a missing purpose", { maxAge: 60 }],
      ["a zero maxAge", { ...ok, maxAge: 0 }],
      ["a negative maxAge", { ...ok, maxAge: -1 }],
      ["a NaN maxAge", { ...ok, maxAge: Number.NaN }],
      ["an infinite maxAge", { ...ok, maxAge: Number.POSITIVE_INFINITY }],
      ["a string maxAge", { ...ok, maxAge: "60" }],
      ["a NaN now", { ...ok, now: Number.NaN }],
      ["a negative now", { ...ok, now: -1 }],
      ["a zero maxLength", { ...ok, maxLength: 0 }],
    ])("seal with %s", async (_, options) => {
      await expect(seal(ring21, 1, options as web.SealOptions)).rejects.toThrow(TypeError);
    });

    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    it.each([
      ["undefined", undefined],
      ["a function", () => 1],
      ["a symbol", Symbol("x")],
      ["a bigint", 1n],
      ["a cycle", cyclic],
    ])("seal of %s", async (_, value) => {
      await expect(seal(ring21, value, ok)).rejects.toThrow(TypeError);
    });

    it("seal of a value whose token would be over maxLength", async () => {
      await expect(seal(ring21, "x".repeat(4000), ok)).rejects.toThrow(TypeError);
      const big = await seal(ring21, "x".repeat(4000), { ...ok, maxLength: 8000, now: T0 });
      expect(await refusal(open(big))).toBe("too_large");
      expect(await open(big, { maxLength: 8000 })).toBe("x".repeat(4000));
    });

    it("a keyring not made by parseKeyring", async () => {
      const fake = { ids: ["k1"] } as unknown as web.Keyring;
      await expect(seal(fake, 1, ok)).rejects.toThrow(TypeError);
      await expect(unseal(fake, "x", { purpose: "launch" })).rejects.toThrow(TypeError);
    });

    it.each([
      ["no options", undefined],
      ["no purpose", {}],
      ["a zero maxAge", { purpose: "launch", maxAge: 0 }],
      ["a fractional maxLength", { purpose: "launch", maxLength: 1.5 }],
      ["a schema without parse", { purpose: "launch", schema: {} }],
    ])("unseal with %s, whatever the token", async (_, options) => {
      await expect(unseal(ring21, "junk", options as web.UnsealOptions)).rejects.toThrow(TypeError);
    });
  });
});

describe("cross-path tokens", () => {
  it("open on the other path, both ways", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue(),
        fc.string({ minLength: 1, maxLength: 20 }),
        async (value, purpose) => {
          const expected = JSON.parse(JSON.stringify(value));
          const options = { purpose, maxAge: 60, now: T0 };
          const fromWeb = await web.seal(ring21, value, options);
          const fromNode = await node.seal(ring21, value, options);
          expect(await node.unseal(ring21, fromWeb, options)).toEqual(expected);
          expect(await web.unseal(ring21, fromNode, options)).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("share one layout: same length, same header", async () => {
    const options = { purpose: "launch", maxAge: 60, now: T0 };
    const a = await web.seal(ring21, { id: "i-1" }, options);
    const b = await node.seal(ring21, { id: "i-1" }, options);
    expect(a.length).toBe(b.length);
    expect(a.slice(0, 5)).toBe(b.slice(0, 5));
  });

  it("have identical types", () => {
    expectTypeOf(node.seal).toEqualTypeOf(web.seal);
    expectTypeOf(node.unseal).toEqualTypeOf(web.unseal);
    expectTypeOf(node.parseKeyring).toEqualTypeOf(web.parseKeyring);
    expectTypeOf(node.TokenError).toEqualTypeOf(web.TokenError);
  });
});

describe("the README's example token", () => {
  // Key 0x00..0x1f as "k1", purpose "launch", issued 2026-01-01T00:00:00Z, maxAge 3600 s.
  const key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
  const token = "AQJrMQ7KDuU1sS1FCE9bIvjcS3qjSQ2QwgXLIcyR9QXJrNFDdBFItkbaijTwdvVTmboeks-ssHuJ_7Ov";

  it.each(paths)("opens on the %s path, and only within its hour", async (_, api) => {
    const keyring = await api.parseKeyring(`k1:${key}`);
    const options = { purpose: "launch", now: T0 };
    expect(await api.unseal(keyring, token, options)).toEqual({ id: "i-1" });
    expect(await api.unseal(keyring, token, { ...options, now: T0 + 3_599_999 })).toEqual({
      id: "i-1",
    });
    expect(await refusal(api.unseal(keyring, token, { ...options, now: T0 + 3_600_000 }))).toBe(
      "expired",
    );
    expect(await refusal(api.unseal(keyring, token, { ...options, purpose: "other" }))).toBe(
      "invalid",
    );
  });

  it("opens by the README's description alone, with bare node:crypto", () => {
    const subkey = Buffer.from(
      hkdfSync("sha256", Buffer.from(key, "base64url"), "launcher/crypto-token/v1", "launch", 32),
    );
    expect(subkey.toString("hex")).toBe(
      "cdff5edf2058578d29fa92ff85dd3790c57232b6a30bec3c136535ffade71ee5",
    );
    const bytes = Buffer.from(token, "base64url");
    const n = bytes[1]!;
    expect([bytes[0], bytes.subarray(2, 2 + n).toString("ascii")]).toEqual([1, "k1"]);
    const decipher = createDecipheriv("aes-256-gcm", subkey, bytes.subarray(2 + n, 14 + n));
    decipher.setAAD(bytes.subarray(0, 2 + n));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const plaintext = Buffer.concat([
      decipher.update(bytes.subarray(14 + n, bytes.length - 16)),
      decipher.final(),
    ]);
    expect(Number(plaintext.readBigUInt64BE(0))).toBe(T0);
    expect(Number(plaintext.readBigUInt64BE(8))).toBe(T0 + 3_600_000);
    expect(plaintext.subarray(16).toString("utf8")).toBe('{"id":"i-1"}');
  });
});
