import { randomBytes } from "node:crypto";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64Url, encodeBase64url } from "./base64url.ts";
import { deriveKey } from "./derive-key.ts";
import { decrypt, encrypt, type JsonValue, TokenError } from "./index.ts";
import { decodePayload, encodePayload } from "./payload.ts";
import { outcome } from "./test-helpers.ts";
import { vectors } from "./vectors.ts";
import { sealXcp } from "./xchacha-format.ts";

const KEY_BASE = "a-secret-key-base-that-is-long-enough-for-phoenix-0123456789abcdef";
const SALT = "user auth";
const T0 = 1_767_225_600; // seconds
const at = (seconds: number) => ({ now: (T0 + seconds) * 1000 });

describe("decrypt's input limit", () => {
  it("refuses a token past maxLength as too_large before decoding it", async () => {
    const token = await encrypt(KEY_BASE, SALT, { user_id: 42 }, { signedAt: T0 });
    const long = `${token}${"A".repeat(70_000)}`;
    await expect(decrypt(KEY_BASE, SALT, long, at(1))).rejects.toMatchObject({ code: "too_large" });
    await expect(decrypt(KEY_BASE, SALT, token, { ...at(1), maxLength: 10 })).rejects.toMatchObject(
      { code: "too_large" },
    );
    expect(await decrypt(KEY_BASE, SALT, token, { ...at(1), maxLength: token.length })).toEqual({
      user_id: 42,
    });
    await expect(decrypt(KEY_BASE, SALT, token, { maxLength: 0 })).rejects.toThrow(TypeError);
  });
});

describe("encrypt → decrypt", () => {
  it("round-trips random JSON values under random key bases and salts", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 4 }),
        fc.string({ minLength: 20, maxLength: 80 }),
        fc.string({ maxLength: 20 }),
        async (data, keyBase, salt) => {
          const token = await encrypt(keyBase, salt, data as JsonValue);
          expect(await decrypt(keyBase, salt, token)).toEqual(data);
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);

  it("writes tokens in the current format, framed as the format document says", async () => {
    const token = await encrypt(KEY_BASE, SALT, { user_id: 42 }, { signedAt: T0, maxAge: 60 });
    expect(token).toMatch(/^XCP\.[A-Za-z0-9_-]+$/);
    const raw = decodeBase64Url(token.slice(4))!;
    // Our own strict reading: no padding, and the string re-encodes to itself.
    expect(encodeBase64url(raw)).toBe(token.slice(4));
    const iv = raw.subarray(0, 24);
    const tag = raw.subarray(24, 40);
    const ct = raw.subarray(40);
    const key = await deriveKey(KEY_BASE, SALT);
    const aad = new TextEncoder().encode("A128GCM");
    const plain = xchacha20poly1305(key, iv, aad).decrypt(new Uint8Array([...ct, ...tag]));
    expect(plain).toEqual(
      encodePayload({ data: { user_id: 42 }, signedAtMs: T0 * 1000, maxAge: 60 }),
    );
    expect(await decodePayload(plain)).toEqual({
      data: { user_id: 42 },
      signedAtMs: T0 * 1000,
      maxAge: 60,
    });
  });

  it("draws a fresh nonce for every token", async () => {
    const a = await encrypt(KEY_BASE, SALT, "same", { signedAt: T0 });
    const b = await encrypt(KEY_BASE, SALT, "same", { signedAt: T0 });
    expect(a).not.toBe(b);
  });

  it("refuses a wrong key base or salt with invalid", async () => {
    const token = await encrypt(KEY_BASE, SALT, 1);
    expect(await outcome(decrypt(`${KEY_BASE}x`, SALT, token))).toBe("invalid");
    expect(await outcome(decrypt(KEY_BASE, "launch", token))).toBe("invalid");
  });
});

describe("time checks, in Plug.Crypto's order", () => {
  const sign = (options: { maxAge?: number | "infinity"; signedAt?: number } = {}) =>
    encrypt(KEY_BASE, SALT, "x", { signedAt: T0, ...options });

  it("accepts an age exactly equal to max_age and expires a millisecond later", async () => {
    const token = await sign({ maxAge: 60 });
    expect(await outcome(decrypt(KEY_BASE, SALT, token, at(60)))).toBe("ok");
    expect(await outcome(decrypt(KEY_BASE, SALT, token, { now: (T0 + 60) * 1000 + 1 }))).toBe(
      "expired",
    );
  });

  it("lets decrypt's maxAge override the embedded one, either way", async () => {
    const token = await sign({ maxAge: 60 });
    expect(await outcome(decrypt(KEY_BASE, SALT, token, { ...at(120), maxAge: 3600 }))).toBe("ok");
    expect(await outcome(decrypt(KEY_BASE, SALT, token, { ...at(30), maxAge: 10 }))).toBe(
      "expired",
    );
  });

  it("expires a max_age of 0 or less even at age 0", async () => {
    expect(await outcome(decrypt(KEY_BASE, SALT, await sign({ maxAge: 0 }), at(0)))).toBe(
      "expired",
    );
    const token = await sign();
    expect(await outcome(decrypt(KEY_BASE, SALT, token, { ...at(0), maxAge: -5 }))).toBe("expired");
  });

  it("refuses a token signed in the future with invalid", async () => {
    const token = await sign();
    expect(await outcome(decrypt(KEY_BASE, SALT, token, { now: T0 * 1000 - 1 }))).toBe("invalid");
  });

  it("skips every time check, the future one too, for max_age infinity", async () => {
    const embedded = await sign({ maxAge: "infinity" });
    expect(await outcome(decrypt(KEY_BASE, SALT, embedded, at(10 * 365 * 86400)))).toBe("ok");
    expect(await outcome(decrypt(KEY_BASE, SALT, embedded, at(-3600)))).toBe("ok");
    const token = await sign({ maxAge: 1 });
    expect(
      await outcome(decrypt(KEY_BASE, SALT, token, { ...at(86400), maxAge: "infinity" })),
    ).toBe("ok");
  });

  it("truncates a fractional signedAt to milliseconds and a fractional max_age likewise", async () => {
    const token = await sign({ signedAt: T0 + 0.0019, maxAge: 0.5 });
    const payload = await decodePayload(
      xchacha20poly1305(
        await deriveKey(KEY_BASE, SALT),
        decodeBase64Url(token.slice(4))!.subarray(0, 24),
        new TextEncoder().encode("A128GCM"),
      ).decrypt(
        (() => {
          const raw = decodeBase64Url(token.slice(4))!;
          return new Uint8Array([...raw.subarray(40), ...raw.subarray(24, 40)]);
        })(),
      ),
    );
    expect(payload.signedAtMs).toBe(T0 * 1000 + 1);
    expect(payload.maxAge).toBe(0.5);
    expect(await outcome(decrypt(KEY_BASE, SALT, token, { now: T0 * 1000 + 501 }))).toBe("ok");
    expect(await outcome(decrypt(KEY_BASE, SALT, token, { now: T0 * 1000 + 502 }))).toBe("expired");
  });

  it("uses the wall clock by default", async () => {
    const token = await encrypt(KEY_BASE, SALT, "now", { maxAge: 60 });
    expect(await decrypt(KEY_BASE, SALT, token)).toBe("now");
  });
});

describe("base64url, read as Elixir's Base.url_decode64(padding: false)", () => {
  // A token whose encoded length is ≡ 2 (mod 4): two padding characters would be correct.
  const tokenWithLength = async (mod: number) => {
    for (let n = 0; ; n++) {
      const token = await encrypt(KEY_BASE, SALT, "p".repeat(n), { signedAt: T0 });
      if ((token.length - 4) % 4 === mod) return token;
    }
  };

  it("accepts correct padding and refuses a wrong amount", async () => {
    const two = await tokenWithLength(2);
    expect(await outcome(decrypt(KEY_BASE, SALT, `${two}==`, at(1)))).toBe("ok");
    expect(await outcome(decrypt(KEY_BASE, SALT, `${two}=`, at(1)))).toBe("invalid");
    expect(await outcome(decrypt(KEY_BASE, SALT, `${two}===`, at(1)))).toBe("invalid");
    const three = await tokenWithLength(3);
    expect(await outcome(decrypt(KEY_BASE, SALT, `${three}=`, at(1)))).toBe("ok");
    expect(await outcome(decrypt(KEY_BASE, SALT, `${three}==`, at(1)))).toBe("invalid");
    const zero = await tokenWithLength(0);
    expect(await outcome(decrypt(KEY_BASE, SALT, `${zero}=`, at(1)))).toBe("invalid");
  });

  it("ignores non-zero unused bits in the last character", async () => {
    const two = await tokenWithLength(2); // last char carries 4 unused bits
    const last = two.at(-1)!;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const sibling = alphabet[alphabet.indexOf(last) ^ 0b1111]!;
    expect(await outcome(decrypt(KEY_BASE, SALT, two.slice(0, -1) + sibling, at(1)))).toBe("ok");
  });

  it("refuses +, /, whitespace, other characters and a length ≡ 1 (mod 4)", async () => {
    const token = await tokenWithLength(0);
    for (const bad of ["+", "/", " ", "\n", "*", "é"]) {
      const mutated = `${token.slice(0, 10)}${bad}${token.slice(11)}`;
      expect(await outcome(decrypt(KEY_BASE, SALT, mutated, at(1)))).toBe("invalid");
    }
    expect(await outcome(decrypt(KEY_BASE, SALT, `${token}A`, at(1)))).toBe("invalid");
  });
});

describe("formats and prefixes", () => {
  it.each([
    ["an empty token", ""],
    ["a bare prefix", "XCP."],
    ["a lower-case prefix", "xcp.AAAA"],
    ["a Phoenix.Token.sign token", "SFMyNTY.g2gDYQFuBgAAAAAAAGIAAVGA.AAAA"],
    ["39 bytes", `XCP.${encodeBase64url(new Uint8Array(39))}`],
    ["40 zero bytes", `XCP.${encodeBase64url(new Uint8Array(40))}`],
    ["a legacy token with 3 segments", "QTEyOEdDTQ.AAAA.AAAA.AAAA"],
    ["a legacy token with 5 segments", "QTEyOEdDTQ.AAAA.AAAA.AAAA.AAAA.AAAA"],
  ])("refuses %s with invalid", async (_name, token) => {
    expect(await outcome(decrypt(KEY_BASE, SALT, token))).toBe("invalid");
  });

  it("answers missing for no token, before anything else", async () => {
    expect(await outcome(decrypt(KEY_BASE, SALT, null))).toBe("missing");
    expect(await outcome(decrypt(KEY_BASE, SALT, undefined))).toBe("missing");
  });

  it("refuses a plaintext without one of Phoenix's shapes, even when it authenticates", async () => {
    const key = await deriveKey(KEY_BASE, SALT);
    const token = sealXcp(key, new Uint8Array([131, 97, 1]));
    expect(await outcome(decrypt(KEY_BASE, SALT, token))).toBe("invalid");
  });
});

describe("the legacy A128GCM format (plug_crypto 1.x)", () => {
  const subtle = globalThis.crypto.subtle;
  const aad = new TextEncoder().encode("A128GCM");

  /** Seals as plug_crypto 1.x's MessageEncryptor did, for CEKs of any AES size. */
  async function legacyToken(
    plain: Uint8Array<ArrayBuffer>,
    cekBytes = 16,
    ivBytes = 12,
  ): Promise<string> {
    const key = await subtle.importKey("raw", await deriveKey(KEY_BASE, SALT), "AES-GCM", false, [
      "encrypt",
    ]);
    const cek = randomBytes(cekBytes);
    const wrapIv = randomBytes(12);
    const wrapped = await subtle.encrypt({ name: "AES-GCM", iv: wrapIv }, key, cek);
    const cekKey = await subtle.importKey("raw", cek, "AES-GCM", false, ["encrypt"]);
    const iv = randomBytes(ivBytes);
    const sealed = new Uint8Array(
      await subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, cekKey, plain),
    );
    return [
      "QTEyOEdDTQ",
      encodeBase64url(new Uint8Array([...new Uint8Array(wrapped), ...wrapIv])),
      encodeBase64url(iv),
      encodeBase64url(sealed.subarray(0, sealed.length - 16)),
      encodeBase64url(sealed.subarray(sealed.length - 16)),
    ].join(".");
  }
  const plain = encodePayload({ data: ["legacy"], signedAtMs: T0 * 1000, maxAge: 60 });

  it.each([16, 24, 32])("opens a token with a %i-byte content key", async (cekBytes) => {
    const token = await legacyToken(plain, cekBytes);
    expect(await decrypt(KEY_BASE, SALT, token, at(1))).toEqual(["legacy"]);
  });

  it("refuses a tampered segment, a wrong iv size and a wrong key", async () => {
    const token = await legacyToken(plain);
    const parts = token.split(".");
    const flip = (s: string) => (s[0] === "A" ? "B" : "A") + s.slice(1);
    for (let i = 1; i < parts.length; i++) {
      const mutated = parts.map((p, j) => (j === i ? flip(p) : p)).join(".");
      expect(await outcome(decrypt(KEY_BASE, SALT, mutated, at(1)))).toBe("invalid");
    }
    expect(await outcome(decrypt(KEY_BASE, SALT, await legacyToken(plain, 16, 16), at(1)))).toBe(
      "invalid",
    );
    expect(await outcome(decrypt(KEY_BASE, "other", token, at(1)))).toBe("invalid");
  });

  it("applies the same time checks", async () => {
    const token = await legacyToken(plain);
    expect(await outcome(decrypt(KEY_BASE, SALT, token, at(61)))).toBe("expired");
  });
});

describe("caller mistakes are TypeErrors, never TokenErrors", () => {
  const bad: [string, () => Promise<unknown>][] = [
    ["a short key base", () => encrypt("short", SALT, 1)],
    ["a key base that is no string", () => decrypt(42 as unknown as string, SALT, "XCP.")],
    ["a salt that is no string", () => decrypt(KEY_BASE, null as unknown as string, "XCP.")],
    ["a token that is no string", () => decrypt(KEY_BASE, SALT, 42 as unknown as string)],
    ["a non-number maxAge", () => decrypt(KEY_BASE, SALT, "XCP.", { maxAge: "1" as never })],
    ["a NaN maxAge", () => encrypt(KEY_BASE, SALT, 1, { maxAge: Number.NaN })],
    ["a non-finite now", () => decrypt(KEY_BASE, SALT, "XCP.", { now: Number.POSITIVE_INFINITY })],
    ["an out-of-range signedAt", () => encrypt(KEY_BASE, SALT, 1, { signedAt: 1e300 })],
    ["undefined data", () => encrypt(KEY_BASE, SALT, undefined as never)],
    ["a function", () => encrypt(KEY_BASE, SALT, (() => 1) as never)],
    ["a bigint", () => encrypt(KEY_BASE, SALT, 1n as never)],
    ["NaN", () => encrypt(KEY_BASE, SALT, Number.NaN)],
    ["Infinity in a list", () => encrypt(KEY_BASE, SALT, [Number.POSITIVE_INFINITY])],
    ["a Date", () => encrypt(KEY_BASE, SALT, new Date() as never)],
    ["a lone surrogate", () => encrypt(KEY_BASE, SALT, "\uD800")],
    ["a lone surrogate in a key", () => encrypt(KEY_BASE, SALT, { "\uDC00": 1 })],
    ["undefined in a list", () => encrypt(KEY_BASE, SALT, [undefined] as never)],
  ];

  it.each(bad)("%s", async (_name, run) => {
    await expect(run()).rejects.toThrow(TypeError);
  });

  it("skips undefined properties, as JSON.stringify does", async () => {
    const token = await encrypt(KEY_BASE, SALT, { a: 1, b: undefined } as never);
    expect(await decrypt(KEY_BASE, SALT, token)).toEqual({ a: 1 });
  });

  it("refuses a cycle with a TypeError, not a stack overflow", async () => {
    const cycle: JsonValue[] = [];
    cycle.push(cycle);
    await expect(encrypt(KEY_BASE, SALT, cycle)).rejects.toThrow(TypeError);
  });
});

describe("derived keys are cached per (key base, salt)", () => {
  it("returns the same key for the same pair, and keeps pairs apart", async () => {
    expect(deriveKey(KEY_BASE, SALT)).toBe(deriveKey(KEY_BASE, SALT));
    const [ab, a] = await Promise.all([
      deriveKey(`${KEY_BASE}ab`, "c"),
      deriveKey(`${KEY_BASE}a`, "bc"),
    ]);
    expect(ab).not.toEqual(a);
  });
});

describe("fuzz: mutated and random tokens give a value or a TokenError, never anything else", () => {
  const opened = vectors.filter((v) => v.token !== null && v.token.length < 400);

  it("every single-character change of the vectors' tokens", async () => {
    const alphabet = "AQgw_-=.+/ ";
    for (const v of opened) {
      const token = v.token!;
      for (let i = 0; i < token.length; i++) {
        const c = alphabet[i % alphabet.length]!;
        const mutated = token.slice(0, i) + c + token.slice(i + 1);
        const result = await outcome(
          decrypt(v.secret_key_base, v.salt, mutated, { now: v.now_ms }),
        );
        if (mutated !== token && result === "ok") {
          // Only a change of unused trailing bits (or to the same bytes) may still open.
          expect(i).toBeGreaterThanOrEqual(token.length - 1);
        }
        expect(["ok", "invalid", "expired"]).toContain(result);
      }
    }
  }, 60_000);

  it("random strings, with and without a known prefix", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("", "XCP.", "QTEyOEdDTQ.", "SFMyNTY."),
        fc.string({ maxLength: 200 }),
        async (prefix, rest) => {
          const result = await outcome(decrypt(KEY_BASE, SALT, prefix + rest));
          expect(result).toBe("invalid");
        },
      ),
      { numRuns: 1000 },
    );
  }, 60_000);

  it("refusals carry no key material or token", async () => {
    const token = await encrypt(KEY_BASE, SALT, "secret");
    const error = await decrypt(KEY_BASE, "other", token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenError);
    expect(String((error as Error).message)).not.toContain(token.slice(4, 20));
    expect(String((error as Error).message)).not.toContain(KEY_BASE);
  });
});
