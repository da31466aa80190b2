// The public API, WebCrypto path (browsers and any runtime with globalThis.crypto.subtle).
// index.node.ts exports the same names backed by node:crypto.

export type { TokenErrorCode } from "./errors.ts";
export { TokenError } from "./errors.ts";
export type { Keyring } from "./keyring.ts";
export { generateKey, parseKeyring } from "./keyring.ts";
export type { Schema, SealOptions, UnsealOptions } from "./options.ts";
export { seal, unseal } from "./seal.ts";
