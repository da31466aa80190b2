import type { SecretDef } from "@launcher/drivers";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** A URL-safe random string; 64 symbols, so each byte's low 6 bits map without bias. */
export function generateSecret(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const byte of bytes) out += ALPHABET[byte & 63];
  return out;
}

/** A fresh instance id: 128 random bits as lowercase hex. */
export function generateInstanceId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Draws every secret a template asks for, by name. */
export function generateSecrets(defs: readonly SecretDef[]): Record<string, string> {
  return Object.fromEntries(defs.map((def) => [def.name, generateSecret(def.length)]));
}
