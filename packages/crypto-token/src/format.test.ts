import { describe, expect, it } from "vitest";
import { cachedSubkey } from "./format.ts";
import type { KeyEntry } from "./keyring.ts";

describe("cachedSubkey", () => {
  const entry = { id: "k1", secret: new Uint8Array(32) } as KeyEntry;

  it("derives once per key and purpose", () => {
    const caches = new WeakMap<KeyEntry, Map<string, string>>();
    let calls = 0;
    const derive = (_secret: Uint8Array, purpose: string) => `${purpose}:${++calls}`;
    expect(cachedSubkey(caches, entry, "launch", derive)).toBe("launch:1");
    expect(cachedSubkey(caches, entry, "launch", derive)).toBe("launch:1");
    expect(cachedSubkey(caches, entry, "other", derive)).toBe("other:2");
  });

  it("does not keep a derivation that failed: the next call derives again", async () => {
    const caches = new WeakMap<KeyEntry, Map<string, Promise<string>>>();
    let calls = 0;
    const derive = () =>
      ++calls === 1 ? Promise.reject(new Error("no WebCrypto now")) : Promise.resolve("key");
    await expect(cachedSubkey(caches, entry, "launch", derive)).rejects.toThrow("no WebCrypto");
    expect(await cachedSubkey(caches, entry, "launch", derive)).toBe("key");
    expect(await cachedSubkey(caches, entry, "launch", derive)).toBe("key");
    expect(calls).toBe(2);
  });
});
