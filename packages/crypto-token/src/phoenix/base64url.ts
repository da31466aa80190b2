// Phoenix decodes with Elixir's `Base.url_decode64(s, padding: false)`, which is more lenient
// than our own tickets: correct `=` padding is accepted and unused trailing bits are ignored.
// The same string therefore has several spellings here; that is Phoenix's rule, not ours.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

/** Decodes as Elixir 1.14 `Base.url_decode64(s, padding: false)` does; `null` where it errors. */
export function decodeBase64Url(text: string): Uint8Array | null {
  let end = text.length;
  if (text.endsWith("==")) {
    end -= 2;
    if (end % 4 !== 2) return null;
  } else if (text.endsWith("=")) {
    end -= 1;
    if (end % 4 !== 3) return null;
  } else if (end % 4 === 1) {
    return null;
  }
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? (VALUES[code] as number) : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

// Phoenix writes base64url without padding, as our own encoder does: `encodeBase64url`.
export { encodeBase64url } from "../base64url.ts";
