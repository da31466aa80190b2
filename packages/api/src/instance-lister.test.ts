import type { Driver, InstanceInfo } from "@launcher/drivers";
import { describe, expect, it } from "vitest";
import { createInstanceLister } from "./instance-lister.ts";

const info = (n: number, extra: Partial<InstanceInfo> = {}): InstanceInfo => ({
  id: n.toString(16).padStart(32, "0"),
  owner: "ada",
  template: "demo",
  phase: "ready",
  createdAt: 1,
  expiresAt: 2,
  ...extra,
});

function driverListing(name: string, list: () => Promise<InstanceInfo[]>, unavailable?: string) {
  return {
    name,
    available: async () =>
      unavailable
        ? { available: false as const, reason: unavailable }
        : { available: true as const },
    list,
  } as unknown as Driver;
}

function recordingLogger() {
  const lines: [string, Record<string, unknown>, string][] = [];
  return {
    lines,
    info: (fields: Record<string, unknown>, message: string) =>
      lines.push(["info", fields, message]),
    warn: (fields: Record<string, unknown>, message: string) =>
      lines.push(["warn", fields, message]),
    error: (fields: Record<string, unknown>, message: string) =>
      lines.push(["error", fields, message]),
  };
}

describe("instance lister", () => {
  it("lists every available platform with its driver's name, and no destroyed instance", async () => {
    const lister = createInstanceLister({
      drivers: new Map([
        ["local", driverListing("local", async () => [info(1), info(2, { phase: "failed" })])],
        ["docker", driverListing("docker", async () => [info(3, { phase: "destroyed" }), info(4)])],
      ]),
      logger: recordingLogger(),
    });
    const { instances, reached } = await lister.list();
    expect(instances.map((i) => [i.driver, i.id.slice(-1), i.phase])).toEqual([
      ["local", "1", "ready"],
      ["local", "2", "failed"],
      ["docker", "4", "ready"],
    ]);
    expect(reached.map((d) => d.name)).toEqual(["local", "docker"]);
  });

  it("leaves out a platform that is unavailable, fails or hangs, and logs each once per change", async () => {
    const logger = recordingLogger();
    let fail = true;
    const lister = createInstanceLister({
      drivers: new Map([
        ["local", driverListing("local", async () => [info(1)])],
        ["docker", driverListing("docker", async () => [], "Cannot connect to the Docker engine")],
        [
          "kubernetes",
          driverListing("kubernetes", async () => {
            if (fail) throw new Error("connect ECONNREFUSED 10.0.0.1:6443");
            return [info(2)];
          }),
        ],
        ["fly", driverListing("fly", () => new Promise<never>(() => {}))],
      ]),
      logger,
      timeoutMs: 20,
    });
    for (let round = 0; round < 3; round++) {
      const { instances, reached } = await lister.list();
      expect(instances.map((i) => i.driver)).toEqual(["local"]);
      expect(reached.map((d) => d.name)).toEqual(["local"]);
    }
    // Not available here is news; a platform that fails or hangs is a warning.
    expect(logger.lines.map(([level, fields]) => [level, fields])).toEqual([
      ["info", { driver: "docker", reason: "Cannot connect to the Docker engine" }],
      ["warn", { driver: "kubernetes", reason: "connect ECONNREFUSED 10.0.0.1:6443" }],
      ["warn", { driver: "fly", reason: "no answer within 0.02 s" }],
    ]);
    fail = false;
    expect((await lister.list()).instances.map((i) => i.driver)).toEqual(["local", "kubernetes"]);
    expect(logger.lines.at(-1)).toEqual([
      "info",
      { driver: "kubernetes" },
      "instances listed again",
    ]);
  });
});
