import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

describe("the docker driver at server start", () => {
  it("loads dockerode only when the driver is first used, not when it is imported and created", async () => {
    // A fresh process: this one's module cache is shared with the other tests.
    const { stdout } = await promisify(execFile)(
      resolve(import.meta.dirname, "../../node_modules/.bin/tsx"),
      [resolve(import.meta.dirname, "lazy-load.fixture.ts")],
      { cwd: resolve(import.meta.dirname, "../..") },
    );
    const report = JSON.parse(stdout.trim().split("\n").at(-1)!);
    // afterFirstUse proves that the check sees dockerode once it is loaded.
    expect(report).toEqual({ atStart: false, afterFirstUse: true });
  });
});
