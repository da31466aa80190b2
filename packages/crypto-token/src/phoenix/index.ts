// @launcher/crypto-token/phoenix: read and write Phoenix.Token.encrypt/4 tokens.
// The only entry of this package that depends on @noble/ciphers (WebCrypto has no ChaCha20).

export { TokenError } from "../errors.ts";
export type { JsonValue } from "./json.ts";
export type { DecryptOptions, EncryptOptions } from "./phoenix-token.ts";
export { decrypt, encrypt } from "./phoenix-token.ts";
