import { describe, expect, it } from "vitest";
import { makePullProgress } from "./pull-progress.ts";

describe("docker pull progress", () => {
  it("averages layers and never goes down", () => {
    const progress = makePullProgress();
    progress.add({ status: "Pulling from x", id: "latest" });
    expect(progress.value).toBe(0);
    progress.add({ status: "Pulling fs layer", id: "a" });
    progress.add({ status: "Already exists", id: "b" });
    expect(progress.value).toBe(0.5);
    progress.add({ status: "Downloading", id: "a", progressDetail: { current: 5, total: 10 } });
    expect(progress.value).toBeCloseTo(0.7);
    // A late, smaller event for the same layer does not move it back.
    progress.add({ status: "Downloading", id: "a", progressDetail: { current: 1, total: 10 } });
    expect(progress.value).toBeCloseTo(0.7);
    progress.add({ status: "Extracting", id: "a", progressDetail: { current: 5, total: 10 } });
    expect(progress.value).toBeCloseTo(0.95);
    progress.add({ status: "Pull complete", id: "a" });
    expect(progress.value).toBe(1);
  });
});
