import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { phaseOf } from "./record.ts";
import { addMarker, readRecord } from "./record-files.ts";

let dir = "";
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "launcher-record-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("instance record markers", () => {
  it("adds a marker whole and exactly once when many add it at the same time", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => addMarker(dir, "ready.json", { at: i })),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await readdir(dir)).toEqual(["ready.json"]);
    expect((await readRecord(dir)).ready?.at).toBe(results.indexOf(true));
  });

  it("still reaches ready when a launcher was killed while writing ready.json (empty file)", async () => {
    // Seen in the chaos test (seed 1691697616): an empty ready.json read as absent and
    // could not be added again, so the launch sat in "checking" until it timed out.
    await addMarker(dir, "claim.1", { at: 1, pid: process.pid, startTime: 1 });
    await addMarker(dir, "listening.json", { at: 2 });
    await writeFile(join(dir, "ready.json"), "");
    const state = await readRecord(dir);
    expect(phaseOf(state)).toBe("ready");
    expect(state.ready?.at).toBeGreaterThan(0);
  });

  it("treats a claim cut short by a crash as a claim whose owner died", async () => {
    await writeFile(join(dir, "claim.1"), "");
    const state = await readRecord(dir);
    expect(phaseOf(state)).toBe("creating");
    expect(state.claim).toMatchObject({ pid: 0, generation: 1 });
  });
});
