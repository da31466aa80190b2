import { describe, expect, it } from "vitest";
import { clearKeyringsOf } from "./keyrings.ts";
import type { Run } from "./kill-uid.ts";

describe("clearing a uid's keyrings", () => {
  it("runs as the uid with an empty environment, and never for root or the launcher's uid", async () => {
    const runs: Parameters<Run>[] = [];
    const watch: Run = async (...args) => {
      runs.push(args);
    };
    for (const uid of [0, -1, process.getuid!()]) await clearKeyringsOf(uid, watch);
    expect(runs).toEqual([]);
    await clearKeyringsOf(300_001, watch);
    if (process.arch !== "x64" && process.arch !== "arm64") return expect(runs).toEqual([]);
    expect(runs).toHaveLength(1);
    const [file, args, options] = runs[0]!;
    expect([file, ...args.slice(0, 5)]).toEqual([
      "/usr/bin/setpriv",
      "--reuid=300001",
      "--regid=300001",
      "--clear-groups",
      "--",
      "/usr/bin/perl",
    ]);
    expect(options).toEqual({ env: {} });
  });
});
