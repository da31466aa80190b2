import type { Snapshot } from "@launcher/contract";
import { describe, expect, it } from "vitest";
import { launchProgress } from "./progress.ts";

type Steps = Snapshot["steps"];
const steps = (create: string, start: string, check: string, progress?: number): Steps =>
  [
    { key: "create", label: "Creating instance", state: create },
    {
      key: "start",
      label: "Starting",
      state: start,
      ...(progress === undefined ? {} : { progress }),
    },
    { key: "check", label: "Health check", state: check },
  ] as Steps;

describe("launchProgress", () => {
  it("counts finished steps whole and the running one by its progress, or half", () => {
    expect(
      launchProgress({ phase: "preparing", steps: steps("pending", "pending", "pending") }),
    ).toBe(0);
    expect(
      launchProgress({ phase: "creating", steps: steps("running", "pending", "pending") }),
    ).toBeCloseTo(0.5 / 3);
    expect(
      launchProgress({ phase: "starting", steps: steps("done", "running", "pending", 0.5) }),
    ).toBeCloseTo(0.5);
    expect(
      launchProgress({ phase: "checking", steps: steps("done", "skipped", "running") }),
    ).toBeCloseTo(2.5 / 3);
    expect(launchProgress({ phase: "ready", steps: steps("done", "done", "done") })).toBe(1);
    expect(launchProgress({ phase: "ready", steps: [] })).toBe(1);
    expect(launchProgress({ phase: "preparing", steps: [] })).toBe(0);
  });
});
