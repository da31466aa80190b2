import { decodeBase64Url } from "./base64url.ts";
import { invalid } from "./refuse.ts";

/** base64url of `A128GCM`: the protected header of plug_crypto 1.x tokens. */
export const LEGACY_PREFIX = "QTEyOEdDTQ.";

const AAD = new TextEncoder().encode("A128GCM");
const NO_AAD = new Uint8Array(0);

function segment(text: string, length?: number): Uint8Array<ArrayBuffer> {
  const bytes = decodeBase64Url(text);
  if (bytes === null) throw invalid("bad base64url");
  if (length !== undefined && bytes.length !== length) throw invalid("segment of the wrong size");
  return bytes as Uint8Array<ArrayBuffer>;
}

async function aesGcmOpen(
  rawKey: Uint8Array<ArrayBuffer>,
  iv: Uint8Array<ArrayBuffer>,
  aad: Uint8Array<ArrayBuffer>,
  sealed: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey("raw", rawKey, "AES-GCM", false, ["decrypt"]);
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv, additionalData: aad, tagLength: 128 },
    key,
    sealed,
  );
  return new Uint8Array(plain);
}

/**
 * Opens the part of a plug_crypto 1.x token after its prefix: a JWE-like
 * `wrapped_cek.iv.ciphertext.tag`, the CEK wrapped with AES-GCM under the derived key (empty AAD)
 * and the content sealed with AES-GCM under the CEK (AAD `A128GCM`). Any failure is `invalid`.
 */
export async function openLegacy(key: Uint8Array, encoded: string): Promise<Uint8Array> {
  const parts = encoded.split(".");
  if (parts.length !== 4) throw invalid("wrong number of segments");
  const [wrappedText, ivText, ctText, tagText] = parts as [string, string, string, string];
  const wrapped = segment(wrappedText);
  const iv = segment(ivText, 12);
  const ct = segment(ctText);
  const tag = segment(tagText, 16);
  // wrapped = cek ‖ tag(16) ‖ iv(12), for a 16-, 24- or 32-byte CEK.
  if (wrapped.length !== 44 && wrapped.length !== 52 && wrapped.length !== 60) {
    throw invalid("wrapped key of the wrong size");
  }
  const wrapIv = wrapped.slice(wrapped.length - 12);
  const sealedCek = wrapped.slice(0, wrapped.length - 12);
  const sealed = new Uint8Array(ct.length + tag.length);
  sealed.set(ct, 0);
  sealed.set(tag, ct.length);
  try {
    const cek = await aesGcmOpen(key as Uint8Array<ArrayBuffer>, wrapIv, NO_AAD, sealedCek);
    return await aesGcmOpen(cek, iv, AAD, sealed);
  } catch {
    throw invalid("authentication failed");
  }
}
