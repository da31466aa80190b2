import { Buffer } from "node:buffer";
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from "node:crypto";
import Iron from "@hapi/iron";
import { CompactEncrypt, compactDecrypt } from "jose";
import * as node from "../src/index.node.ts";
import * as web from "../src/index.ts";
import type { Contender, Sealer } from "./contender.ts";
import { phoenixContender } from "./phoenix-contender.ts";

const PURPOSE = "launch";
const MAX_AGE = 3600;
// The 16 KB payload makes a ~22k-character token, over the 4,096 default.
const MAX_LENGTH = 65_536;

function cryptoToken(api: typeof web): Contender["make"] {
  return async () => {
    const keyring = await api.parseKeyring(`k1:${api.generateKey()}`);
    return {
      seal: (value) =>
        api.seal(keyring, value, { purpose: PURPOSE, maxAge: MAX_AGE, maxLength: MAX_LENGTH }),
      unseal: (token) => api.unseal(keyring, token, { purpose: PURPOSE, maxLength: MAX_LENGTH }),
    };
  };
}

/** AES-256-GCM straight on node:crypto: JSON, random IV, IV || ciphertext || tag, base64url. */
async function rawNodeCrypto(): Promise<Sealer> {
  const key = createSecretKey(randomBytes(32));
  return {
    async seal(value) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
      return Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
    },
    async unseal(token) {
      const bytes = Buffer.from(token, "base64url");
      const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      const body = decipher.update(bytes.subarray(12, bytes.length - 16));
      decipher.final();
      return JSON.parse(body.toString("utf8"));
    },
  };
}

async function hapiIron(): Promise<Sealer> {
  const password = randomBytes(32).toString("base64url");
  const options = { ...Iron.defaults, ttl: MAX_AGE * 1000 };
  return {
    seal: (value) => Iron.seal(value, password, options),
    unseal: (token) => Iron.unseal(token, password, options),
  };
}

async function joseJwe(): Promise<Sealer> {
  const key = new Uint8Array(randomBytes(32));
  const utf8 = new TextEncoder();
  const text = new TextDecoder();
  return {
    seal: (value) =>
      new CompactEncrypt(utf8.encode(JSON.stringify(value)))
        .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
        .encrypt(key),
    unseal: async (token) => JSON.parse(text.decode((await compactDecrypt(token, key)).plaintext)),
  };
}

/** Everything the bench compares, in table order. Add a contender with one line here. */
export const contenders: Contender[] = [
  { name: "crypto-token (node:crypto)", make: cryptoToken(node) },
  { name: "crypto-token (WebCrypto)", make: cryptoToken(web) },
  { name: "@hapi/iron", make: hapiIron },
  { name: "jose (JWE dir + A256GCM)", make: joseJwe },
  { name: "raw node:crypto AES-256-GCM", make: rawNodeCrypto },
  phoenixContender,
];
