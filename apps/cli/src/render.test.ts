import { launchProgress, type Snapshot } from "@launcher/client";
import { describe, expect, it } from "vitest";
import { changeLines, progressBar, summaryLines } from "./render.ts";

const base: Snapshot = {
  id: "0123456789abcdef0123456789abcdef",
  template: "scratchpad",
  driver: "local",
  createdAt: 1,
  version: 1,
  phase: "starting",
  steps: [
    { key: "create", label: "Creating instance", state: "done" },
    { key: "start", label: "Starting", state: "running", progress: 0.5 },
    { key: "check", label: "Health check", state: "pending" },
  ],
  logTail: [],
};

describe("progress", () => {
  it("counts done steps whole and a running one by its progress", () => {
    expect(launchProgress(base)).toBeCloseTo(0.5);
    expect(launchProgress({ ...base, phase: "ready" })).toBe(1);
    expect(progressBar(0.5, 10)).toBe("[█████░░░░░]  50%");
  });

  it("prints only what changed, as plain lines", () => {
    const next: Snapshot = {
      ...base,
      version: 2,
      phase: "checking",
      steps: base.steps.map((s) => (s.key === "start" ? { ...s, state: "done" } : s)),
    };
    expect(changeLines(base, next)).toEqual(["phase: checking", "step: Starting (done)"]);
  });

  it("summarises a ready launch with its URL and credentials", () => {
    const lines = summaryLines({
      ...base,
      phase: "ready",
      access: { url: "http://127.0.0.1:4000/", credentials: { password: "secret-value" } },
    });
    expect(lines.join("\n")).toMatch(
      /URL:\s+http:\/\/127\.0\.0\.1:4000\/\n\s+password:\s+secret-value/,
    );
  });
});
