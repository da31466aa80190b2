// The public API on Node: the same names and types as index.ts, sealing through node:crypto.
// Tokens are interchangeable with the WebCrypto path's.

export type { TokenErrorCode } from "./errors.ts";
export { TokenError } from "./errors.ts";
export type { Keyring } from "./keyring.ts";
export { generateKey, parseKeyring } from "./keyring.ts";
export type { Schema, SealOptions, UnsealOptions } from "./options.ts";
export { seal, unseal } from "./seal.node.ts";
