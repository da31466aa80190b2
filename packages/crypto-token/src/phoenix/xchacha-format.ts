import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { decodeBase64Url, encodeBase64url } from "./base64url.ts";
import { invalid } from "./refuse.ts";

/** The current format's prefix (plug_crypto ≥ 2.0). */
export const XCP_PREFIX = "XCP.";

/** `MessageEncryptor`'s historic default AAD, which `Plug.Crypto.encrypt` keeps. */
const AAD = new TextEncoder().encode("A128GCM");
const IV_BYTES = 24;
const TAG_BYTES = 16;

/**
 * Seals with XChaCha20-Poly1305 (`@noble/ciphers`, audited, runs in browsers where WebCrypto has
 * no ChaCha20). Phoenix frames it as iv ‖ tag ‖ ciphertext — the tag first, unlike libsodium.
 */
export function sealXcp(key: Uint8Array, plain: Uint8Array): string {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = xchacha20poly1305(key, iv, AAD).encrypt(plain);
  const ctLength = sealed.length - TAG_BYTES;
  const out = new Uint8Array(IV_BYTES + sealed.length);
  out.set(iv, 0);
  out.set(sealed.subarray(ctLength), IV_BYTES);
  out.set(sealed.subarray(0, ctLength), IV_BYTES + TAG_BYTES);
  return XCP_PREFIX + encodeBase64url(out);
}

/** Opens the part of an `XCP.` token after its prefix; any failure is `invalid`. */
export function openXcp(key: Uint8Array, encoded: string): Uint8Array {
  const bytes = decodeBase64Url(encoded);
  if (bytes === null) throw invalid("bad base64url");
  if (bytes.length < IV_BYTES + TAG_BYTES) throw invalid("too short");
  const iv = bytes.subarray(0, IV_BYTES);
  const tag = bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
  const ct = bytes.subarray(IV_BYTES + TAG_BYTES);
  const sealed = new Uint8Array(ct.length + TAG_BYTES);
  sealed.set(ct, 0);
  sealed.set(tag, ct.length);
  try {
    return xchacha20poly1305(key, iv, AAD).decrypt(sealed);
  } catch {
    throw invalid("authentication failed");
  }
}
