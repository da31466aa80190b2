import { randomBytes } from "node:crypto";
import type { InstanceSpec } from "../driver.ts";
import { newInstanceSpec } from "../driver-fixtures.ts";
import { type Template, TemplateSchema } from "../template.ts";
import type { FakeFly } from "./fake-fly.ts";
import { createFlyDriver, type FlyDriverOptions } from "./fly-driver.ts";

/** What the Fly driver's tests share: a template, specs, secrets and a driver on a fake. */
export const template: Template = TemplateSchema.parse({
  id: "livebook",
  name: "Livebook",
  description: "test",
  secrets: [
    { name: "password", env: "LIVEBOOK_PASSWORD", length: 24 },
    { name: "cookie", env: "LIVEBOOK_COOKIE", length: 32, credential: false },
  ],
  drivers: {
    fly: {
      image: "ghcr.io/livebook-dev/livebook:latest",
      port: 8080,
      env: { LIVEBOOK_PORT: "8080" },
      healthPath: "/public/health",
      guest: { cpus: 1, memoryMb: 1024 },
    },
  },
});

export const secretEnv = () => ({
  LIVEBOOK_PASSWORD: `pw-${randomBytes(12).toString("hex")}`,
  LIVEBOOK_COOKIE: `ck-${randomBytes(12).toString("hex")}`,
});

export const newSpec = (t: Template = template, owner = "local"): InstanceSpec =>
  newInstanceSpec(t, { owner });

/** The tombstone app's default name for org `personal`. */
export const TOMBSTONE_APP = "launcher-tombstones-personal";

export const driverFor = (f: FakeFly, overrides: Partial<FlyDriverOptions> = {}) =>
  createFlyDriver({
    token: f.token,
    org: "personal",
    region: "fra",
    apiUrl: f.url,
    retry: { retries: 4, baseDelayMs: 1, maxDelayMs: 200 },
    pollIntervalMs: 5,
    waitTimeoutSeconds: 60,
    ...overrides,
  });

export const machinePosts = (f: FakeFly) =>
  f.requests.filter((r) => r.method === "POST" && /\/machines$/.test(r.url));
