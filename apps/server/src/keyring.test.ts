import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seal, unseal } from "@launcher/crypto-token";
import { afterEach, describe, expect, it } from "vitest";
import { loadKeyring } from "./keyring.ts";

let dir = "";
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("the dev keyring", () => {
  it("is made once (mode 0600) and reused, even by replicas starting at the same moment", async () => {
    dir = await mkdtemp(join(tmpdir(), "launcher-keyring-"));
    const rings = await Promise.all(Array.from({ length: 8 }, () => loadKeyring(undefined, dir)));
    const token = await seal(rings[0]!.keyring, { n: 1 }, { purpose: "launch", maxAge: 60 });
    for (const { keyring, source } of rings) {
      expect(source).toBe("dev-file");
      expect(await unseal(keyring, token, { purpose: "launch" })).toEqual({ n: 1 });
    }
    const again = await loadKeyring(undefined, dir);
    expect(await unseal(again.keyring, token, { purpose: "launch" })).toEqual({ n: 1 });
    expect((await stat(join(dir, "dev-keys"))).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["dev-keys"]);
  });
});
