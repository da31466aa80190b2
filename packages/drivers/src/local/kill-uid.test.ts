import { describe, expect, it } from "vitest";
import { killEveryProcessOf, type Run } from "./kill-uid.ts";

describe("killing every process of a uid", () => {
  it("runs its shell as the uid with an empty environment, never the launcher's", async () => {
    // Regression: the shell ran as the instance's uid with the launcher's environment (its
    // keys among it), which the uid's processes could read in /proc until the KILL landed.
    const runs: Parameters<Run>[] = [];
    const watch: Run = async (...args) => {
      runs.push(args);
    };
    await killEveryProcessOf(300_001, watch);
    expect(runs).toEqual([
      [
        "/usr/bin/setpriv",
        ["--reuid=300001", "--regid=300001", "--clear-groups", "--", "/bin/sh", "-c", "kill -9 -1"],
        { env: {} },
      ],
    ]);
  });

  it("never runs for root, nor for the launcher's own uid", async () => {
    const runs: unknown[] = [];
    const watch: Run = async (...args) => {
      runs.push(args);
    };
    for (const uid of [0, -1, process.getuid!(), 1.5]) await killEveryProcessOf(uid, watch);
    expect(runs).toEqual([]);
  });
});
