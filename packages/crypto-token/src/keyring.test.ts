import { Buffer } from "node:buffer";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { generateKey, parseKeyring } from "./keyring.ts";

describe("generateKey", () => {
  it("returns 32 random bytes as unpadded base64url", () => {
    const key = generateKey();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key, "base64url")).toHaveLength(32);
    expect(generateKey()).not.toBe(key);
  });
});

describe("parseKeyring", () => {
  const k1 = generateKey();
  const k2 = generateKey();

  it("reads `id:key` entries, newest first", async () => {
    const keyring = await parseKeyring(`k2:${k2},k1:${k1}`);
    expect(keyring.ids).toEqual(["k2", "k1"]);
  });

  it("ignores whitespace around entries (a trailing newline from a file)", async () => {
    const keyring = await parseKeyring(` k2:${k2} ,\n k1:${k1}\n`);
    expect(keyring.ids).toEqual(["k2", "k1"]);
  });

  it.each([
    ["nothing", undefined],
    ["an empty string", ""],
    ["only spaces", "   "],
    ["an entry without an id", k1],
    ["an empty id", `:${k1}`],
    ["an id with a space", `k 1:${k1}`],
    ["an id over 64 characters", `${"k".repeat(65)}:${k1}`],
    ["a duplicate id", `k1:${k1},k1:${k2}`],
    ["an empty entry", `k1:${k1},`],
    ["a 31-byte key", `k1:${Buffer.alloc(31, 7).toString("base64url")}`],
    ["a 33-byte key", `k1:${Buffer.alloc(33, 7).toString("base64url")}`],
    ["a padded key", `k1:${Buffer.alloc(32, 7).toString("base64")}`],
    ["a key that is not base64url", `k1:${"*".repeat(43)}`],
    ["a key with set unused bits", `k1:${k1.slice(0, 42)}B`],
  ])("refuses %s with a TypeError", async (_, text) => {
    await expect(parseKeyring(text)).rejects.toThrow(TypeError);
  });

  it("never shows key material when logged or serialised", async () => {
    const keyring = await parseKeyring(`k2:${k2},k1:${k1}`);
    for (const shown of [
      JSON.stringify(keyring),
      inspect(keyring, { showHidden: true, depth: 9 }),
    ]) {
      expect(shown).toContain("k2");
      expect(shown).not.toContain(k2);
      expect(shown).not.toContain(k1);
    }
    const error = await parseKeyring(`k1:${k1.slice(1)}`).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TypeError);
    expect(String(error)).not.toContain(k1.slice(1));
  });
});
