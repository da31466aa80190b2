// Strict, unpadded base64url (RFC 4648 §5) without Buffer, so that the WebCrypto path runs in
// browsers too. "Strict" means that decode accepts exactly the strings encode produces: no
// padding, no whitespace, no character outside the alphabet, no set bits left over in the last
// character. Hence no two strings decode to the same bytes, and no change to a token's text is
// ever accepted.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const ENCODE = new Uint8Array(64);
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  const c = ALPHABET.charCodeAt(i);
  ENCODE[i] = c;
  DECODE[c] = i;
}
const ascii = new TextDecoder();

/** Encodes bytes as unpadded base64url. */
export function encodeBase64url(bytes: Uint8Array): string {
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil((n * 4) / 3));
  let o = 0;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ENCODE[v >>> 18]!;
    out[o++] = ENCODE[(v >>> 12) & 63]!;
    out[o++] = ENCODE[(v >>> 6) & 63]!;
    out[o++] = ENCODE[v & 63]!;
  }
  if (n - i === 1) {
    const v = bytes[i]!;
    out[o++] = ENCODE[v >>> 2]!;
    out[o++] = ENCODE[(v & 3) << 4]!;
  } else if (n - i === 2) {
    const v = (bytes[i]! << 8) | bytes[i + 1]!;
    out[o++] = ENCODE[v >>> 10]!;
    out[o++] = ENCODE[(v >>> 4) & 63]!;
    out[o++] = ENCODE[(v & 15) << 2]!;
  }
  return ascii.decode(out);
}

/** Decodes canonical unpadded base64url; returns `undefined` for any other string. */
export function decodeBase64url(text: string): Uint8Array | undefined {
  const n = text.length;
  const rest = n & 3;
  if (rest === 1) return undefined;
  const out = new Uint8Array((n >>> 2) * 3 + (rest === 0 ? 0 : rest - 1));
  let bad = 0;
  let o = 0;
  let i = 0;
  const at = (k: number): number => {
    const c = text.charCodeAt(k);
    const v = c < 128 ? DECODE[c]! : -1;
    bad |= v;
    return v;
  };
  for (; i + 3 < n; i += 4) {
    const v = (at(i) << 18) | (at(i + 1) << 12) | (at(i + 2) << 6) | at(i + 3);
    out[o++] = v >>> 16;
    out[o++] = (v >>> 8) & 255;
    out[o++] = v & 255;
  }
  if (rest === 2) {
    const a = at(i);
    const b = at(i + 1);
    if ((b & 15) !== 0) return undefined;
    out[o] = (a << 2) | (b >>> 4);
  } else if (rest === 3) {
    const a = at(i);
    const b = at(i + 1);
    const c = at(i + 2);
    if ((c & 3) !== 0) return undefined;
    out[o++] = (a << 2) | (b >>> 4);
    out[o] = ((b & 15) << 4) | (c >>> 2);
  }
  // An invalid character is -1, whose sign bit survives the OR.
  return bad < 0 ? undefined : out;
}
