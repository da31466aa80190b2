import { createCipheriv, createDecipheriv } from "node:crypto";
import { chacha20poly1305, hchacha, xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64Url } from "./base64url.ts";
import { deriveKey } from "./derive-key.ts";
import { decrypt } from "./index.ts";
import { encodePayload } from "./payload.ts";
import { hex, unhex } from "./test-helpers.ts";

// The worked example of PHOENIX-TOKEN.md (vector valid_string_ascii), step by step.
const example = {
  secretKeyBase: "Zx2mP9qLr7Tv4Kw8Nb3Hc6Jd1Fg5Sa0Ye9Ui2Oq7Wr4Et8Ty3Up6Ia1Sd5Fg0Hj2k",
  salt: "user auth",
  token:
    "XCP.yGX-SboOcJ8KnVQMcft2Jxu-vgL4BwZPDgkpzHRSPB-FmyjhLv6BcP40kv9II7eSEVr_J1_3FK6JZHh84aGVbd_Rqi9e499EXg",
  key: "fea710effa524c2f69518de73ea8c184c73c526f67f92fe8cabcef4fc42edb70",
  iv: "c865fe49ba0e709f0a9d540c71fb76271bbebe02f807064f",
  subkey: "7bab302742012ffe62941667e4779e89ec2e72d13b38478d0938f8afb5eba894",
  nonce12: "000000001bbebe02f807064f",
  tag: "0e0929cc74523c1f859b28e12efe8170",
  plain: "8368036d0000000b68656c6c6f20776f726c646e060080b9a3769b016200015180",
};
const AAD = new TextEncoder().encode("A128GCM");

/** HChaCha20 over bytes, from noble's word-level primitive. */
function hchacha20(key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  const sigma = new Uint32Array(new TextEncoder().encode("expand 32-byte k").buffer);
  const out = new Uint32Array(8);
  hchacha(sigma, new Uint32Array(key.slice().buffer), new Uint32Array(nonce16.slice().buffer), out);
  return new Uint8Array(out.buffer);
}

/** XChaCha20-Poly1305 built from node's native chacha20-poly1305, per the format document. */
function nativeSeal(key: Uint8Array, iv: Uint8Array, plain: Uint8Array) {
  const subkey = hchacha20(key, iv.subarray(0, 16));
  const nonce12 = new Uint8Array(12);
  nonce12.set(iv.subarray(16), 4);
  const cipher = createCipheriv("chacha20-poly1305", subkey, nonce12, { authTagLength: 16 });
  cipher.setAAD(AAD, { plaintextLength: plain.length });
  const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
  return { ct: new Uint8Array(ct), tag: new Uint8Array(cipher.getAuthTag()) };
}

describe("the format document's worked example, byte for byte", () => {
  const raw = decodeBase64Url(example.token.slice(4))!;
  const iv = raw.subarray(0, 24);
  const tag = raw.subarray(24, 40);
  const ct = raw.subarray(40);

  it("derives the key with PBKDF2-HMAC-SHA256, 1000 iterations", async () => {
    expect(hex(await deriveKey(example.secretKeyBase, example.salt))).toBe(example.key);
  });

  it("frames iv ‖ tag ‖ ciphertext, with HChaCha20's subkey and the 12-byte nonce", () => {
    expect(hex(iv)).toBe(example.iv);
    expect(hex(tag)).toBe(example.tag);
    expect(ct.length).toBe(example.plain.length / 2);
    expect(hex(hchacha20(unhex(example.key), iv.subarray(0, 16)))).toBe(example.subkey);
    const nonce12 = new Uint8Array(12);
    nonce12.set(iv.subarray(16), 4);
    expect(hex(nonce12)).toBe(example.nonce12);
  });

  it("opens to the plaintext via the subkey (noble) and via XChaCha20 directly", () => {
    const sealed = new Uint8Array([...ct, ...tag]);
    const viaSubkey = chacha20poly1305(unhex(example.subkey), unhex(example.nonce12), AAD).decrypt(
      sealed,
    );
    expect(hex(viaSubkey)).toBe(example.plain);
    expect(hex(xchacha20poly1305(unhex(example.key), iv, AAD).decrypt(sealed))).toBe(example.plain);
  });

  it("opens to the plaintext via node's native chacha20-poly1305", () => {
    const decipher = createDecipheriv(
      "chacha20-poly1305",
      unhex(example.subkey),
      unhex(example.nonce12),
      {
        authTagLength: 16,
      },
    );
    decipher.setAAD(AAD, { plaintextLength: ct.length });
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([decipher.update(ct), decipher.final()]);
    expect(plain.toString("hex")).toBe(example.plain);
  });

  it("encodes the same plaintext from the same data, time and max_age", () => {
    const plain = encodePayload({ data: "hello world", signedAtMs: 1767222000000, maxAge: 86400 });
    expect(hex(plain)).toBe(example.plain);
  });

  it("decrypts to the data", async () => {
    const data = await decrypt(example.secretKeyBase, example.salt, example.token, {
      now: 1767225600000,
    });
    expect(data).toBe("hello world");
  });
});

describe("noble's XChaCha20-Poly1305 against node's native ChaCha20-Poly1305 + HChaCha20", () => {
  it("agrees on random keys, nonces and messages", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 24, maxLength: 24 }),
        fc.uint8Array({ maxLength: 300 }),
        (key, iv, plain) => {
          const sealed = xchacha20poly1305(key, iv, AAD).encrypt(plain);
          const native = nativeSeal(key, iv, plain);
          expect(hex(sealed)).toBe(hex(native.ct) + hex(native.tag));
        },
      ),
      { numRuns: 200 },
    );
  });
});
