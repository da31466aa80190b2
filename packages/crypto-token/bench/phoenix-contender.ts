import { randomBytes } from "node:crypto";
import { decrypt, encrypt, type JsonValue } from "../src/phoenix/index.ts";
import type { Contender } from "./contender.ts";

/**
 * Phoenix.Token interop: Erlang term payload + XChaCha20-Poly1305 (@noble/ciphers, pure JS).
 * The PBKDF2 key is derived once in `make` and cached, as in Phoenix, so it is not timed.
 */
export const phoenixContender: Contender = {
  name: "crypto-token/phoenix (XCP)",
  async make() {
    const secretKeyBase = randomBytes(48).toString("base64url");
    const salt = "launch";
    await encrypt(secretKeyBase, salt, null);
    return {
      seal: (value) => encrypt(secretKeyBase, salt, value as JsonValue, { maxAge: 3600 }),
      unseal: (token) => decrypt(secretKeyBase, salt, token),
    };
  },
};
