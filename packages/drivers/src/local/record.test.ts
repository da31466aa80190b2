import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { phaseOf, toObservation, versionOf } from "./record.ts";
import { addMarker, LOG_CUT_PREFIX, readRecord } from "./record-files.ts";

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

describe("the record as an observation", () => {
  const base = { exists: true, logLength: 0 } as const;
  const claim = { at: 1, pid: 1, startTime: 1, generation: 1 };
  const monitor = { at: 2, pid: 2, startTime: 2 };
  const running = {
    ...base,
    claim,
    monitor,
    app: { at: 3, pid: 3, startTime: 3 },
    listening: { at: 4 },
    ready: { at: 5 },
  };

  it("says destroying under a tombstone until the teardown is done, then destroyed", () => {
    const destroying = toObservation({ ...running, destroyed: { at: 6 } }, {}, []);
    expect(destroying).toMatchObject({ phase: "destroying", message: "Stopping the instance" });
    expect(destroying.steps.map((s) => s.state)).toEqual(["done", "done", "done"]);
    const gone = { ...running, destroyed: { at: 6, reason: "expired" }, gone: { at: 7 } };
    expect(toObservation(gone, {}, [])).toMatchObject({
      phase: "destroyed",
      message: "The instance expired and was destroyed",
    });
    expect(toObservation(gone, {}, []).version).toBeGreaterThan(destroying.version);
  });

  it("is failed, not ready, when the monitor is gone", () => {
    expect(phaseOf(running, { monitorAlive: true })).toBe("ready");
    expect(toObservation(running, { monitorAlive: false }, [])).toMatchObject({
      phase: "failed",
      error: "The instance's monitor process died",
    });
  });

  it("keeps ready's version fixed while the log grows", () => {
    expect(versionOf({ ...running, logLength: 9 }, "ready")).toBe(
      versionOf({ ...running, logLength: 99 }, "ready"),
    );
  });
});

describe("the log's length", () => {
  it("counts the bytes cut from its head, so a launch's version never goes back", async () => {
    const kept = "line 9\nline 10\n";
    await writeFile(join(dir, "log"), "x".repeat(5000));
    const before = (await readRecord(dir)).logLength;
    await writeFile(join(dir, "log"), `${LOG_CUT_PREFIX}5000 earlier bytes were dropped]\n${kept}`);
    const after = (await readRecord(dir)).logLength;
    expect(before).toBe(5000);
    expect(after).toBeGreaterThan(before);
  });
});
