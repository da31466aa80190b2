import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fileStore } from "./file-store.ts";
import type { StoredLaunch } from "./ticket-store.ts";

const id = "0123456789abcdef0123456789abcdef";
const launch: StoredLaunch = { id, ticket: "sealed", template: "scratchpad", storedAt: 1 };

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "launcher-store-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("fileStore", () => {
  it("keeps one file per launch, mode 0600, in a directory of mode 0700", async () => {
    const dir = join(root, "state", "launcher");
    const store = fileStore(dir);
    await store.put(launch);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, `${id}.json`))).mode & 0o777).toBe(0o600);
    expect(await store.get(id)).toEqual(launch);
    expect(await store.list()).toEqual([launch]);
  });

  it("replaces a launch atomically and leaves no temporary file", async () => {
    const store = fileStore(root);
    await store.put(launch);
    await store.put({ ...launch, lastEventId: "3" });
    expect(await readdir(root)).toEqual([`${id}.json`]);
    expect((await store.get(id))?.lastEventId).toBe("3");
  });

  it("skips corrupt and foreign files", async () => {
    const store = fileStore(root);
    await store.put(launch);
    const other = "f".repeat(32);
    await writeFile(join(root, `${other}.json`), "{not json");
    await writeFile(join(root, "notes.txt"), "hello");
    expect((await store.list()).map((l) => l.id)).toEqual([id]);
    expect(await store.get(other)).toBeUndefined();
  });

  it("refuses an id that would name a file elsewhere", async () => {
    const store = fileStore(root);
    await expect(store.put({ ...launch, id: "../escape" })).rejects.toThrow(TypeError);
    expect(await store.get("../escape")).toBeUndefined();
  });

  it("forgets a removed launch, and removing twice is fine", async () => {
    const store = fileStore(root);
    await store.put(launch);
    await store.remove(id);
    await store.remove(id);
    expect(await store.list()).toEqual([]);
    expect(await readFile(join(root, `${id}.json`)).catch(() => "gone")).toBe("gone");
  });
});
