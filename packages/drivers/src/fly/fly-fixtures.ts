import { expect } from "vitest";
import type { InstanceSpec } from "../driver.ts";
import type { DriverContractAdapter } from "../driver-contract.ts";
import { bundledTemplate, newInstanceSpec, secretEnvFor, withSpec } from "../driver-fixtures.ts";
import type { Template } from "../template.ts";
import { type FakeFly, startFakeFly } from "./fake-fly.ts";
import { createFlyDriver, type FlyDriverOptions } from "./fly-driver.ts";
import { STEP_KEYS } from "./fly-observation.ts";
import { tombstoneSecretName } from "./fly-tombstones.ts";
import { META } from "./machine-config.ts";

/**
 * What the Fly driver's tests share: a template, specs, secrets and a driver on a fake. The
 * template is the bundled Livebook, with a plain env value to see where it goes.
 */
export const template: Template = withSpec(bundledTemplate("livebook"), "fly", {
  env: { LIVEBOOK_PORT: "8080" },
});

export const secretEnv = () => secretEnvFor(template);

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

const appOf = (id: string) => `launcher-${id}`;
const machinesOf = (fake: FakeFly, id: string) => [
  ...(fake.apps.get(appOf(id))?.machines.values() ?? []),
];

/** The Fly driver held to the remote drivers' contract, on the fake Machines API. */
export const flyContract: DriverContractAdapter<FakeFly> = {
  name: "fly",
  template,
  startFake: (knobs = {}) =>
    startFakeFly({
      // `wait` is cut short at 5 ms: the driver must take a 408 as "wait again".
      ...(knobs.slow ? { stepMs: 300, checkMs: 600, waitCapMs: 5 } : {}),
      ...(knobs.neverHealthy ? { checkMs: Number.POSITIVE_INFINITY } : {}),
      ...(knobs.slowTeardown ? { destroyMs: 1000 } : {}),
    }),
  driverFor: (fake, { credentials, ...knobs } = {}) =>
    driverFor(fake, { ...knobs, ...(credentials ? { token: credentials } : {}) }),
  steps: STEP_KEYS,
  phases: ["checking"],
  urlOf: (id) => `https://${appOf(id)}.fly.dev/`,
  running: (fake, id) => machinesOf(fake, id).filter((m) => m.state !== "destroyed").length,
  holds: (fake, id) => fake.apps.has(appOf(id)),
  creates: { method: "POST", path: /\/machines$/ },
  tombstoneReason(fake, id) {
    const graves = fake.apps.get(TOMBSTONE_APP)?.secrets;
    return (["destroyed", "expired"] as const).find((r) => graves?.has(tombstoneSecretName(id, r)));
  },
  marks(fake, id) {
    const metadata = machinesOf(fake, id)[0]?.config.metadata ?? {};
    return { ready: metadata[META.ready], failed: metadata[META.failed] };
  },
  setHealthy(fake, id, healthy) {
    if (healthy) return fake.passChecks();
    for (const check of machinesOf(fake, id)[0]!.checks) check.status = "critical";
  },
  faults: {
    midCreate: { method: "POST", path: /\/machines$/ },
    teardown: { method: "DELETE", path: /\/machines\// },
    throttled: { method: "POST", path: /^\/v1\/apps$/ },
    burst: { method: "POST", path: /\/machines$/ },
  },
  secretsIn: (r) =>
    r.method === "POST" && r.url.endsWith("/secrets") ? JSON.parse(r.body).values : undefined,
  timedOut: /health check within 1 s/,
  afterHiccup: "ready", // the readiness ensure recorded on the machine stands
  refused: /^Fly\.io refused the API token$/,
  availableDetail: "Fly.io org personal, region fra",
  unreachable: (fake) => `Fly.io did not answer at ${fake.url}`,
  check: {
    launched(fake, spec) {
      // The machine was long-polled with `wait`, and a 408 led to another wait, not an error.
      const waits = fake.requests.filter((r) => r.url.includes("/wait?state=started"));
      expect(waits.some((r) => r.status === 408)).toBe(true);
      expect(waits.every((r) => /timeout=([1-9]|[1-5]\d|60)(&|$)/.test(r.url))).toBe(true);
      // The machine carries its id in metadata, an HTTP check on the health path, the guest
      // size, and in its plain env only the template's own values: the secrets are the app's.
      const app = fake.apps.get(appOf(spec.id))!;
      const [machine] = [...app.machines.values()];
      expect(machine!.config.metadata?.[META.id]).toBe(spec.id);
      expect(machine!.config).toMatchObject({
        image: "ghcr.io/livebook-dev/livebook:latest",
        guest: { cpus: 1, memory_mb: 1024 },
        services: [{ internal_port: 8080, checks: [{ type: "http", path: "/public/health" }] }],
      });
      expect(machine!.config.env).toEqual({ LIVEBOOK_PORT: "8080" });
      expect(app.ips.some((ip) => ip.shared)).toBe(true);
      expect(app.ips.some((ip) => ip.ip.includes(":"))).toBe(true);
    },
    secretsGone(fake, spec, env) {
      // Nothing the instance had outlives it: its app (and with it the secrets) is gone.
      expect(fake.apps.has(appOf(spec.id))).toBe(false);
      for (const app of fake.apps.values()) {
        for (const { value } of app.secrets.values())
          expect(Object.values(env)).not.toContain(value);
      }
    },
    async destroyed(fake, spec) {
      const deletes = fake.requests.filter((r) => r.method === "DELETE");
      expect(deletes.length).toBeGreaterThan(0);
      expect(deletes.every((r) => r.url.includes("force=true"))).toBe(true);
      const graves = fake.apps.get(TOMBSTONE_APP)!;
      expect([...graves.secrets.keys()]).toEqual([tombstoneSecretName(spec.id, "destroyed")]);
    },
    plantForeign(fake, like) {
      // Apps that are not instances of this launcher: another name, another org.
      const app = fake.apps.get(appOf(like))!;
      fake.apps.set("launcher-notes", { ...app, name: "launcher-notes" });
      fake.apps.set(appOf("0".repeat(32)), { ...app, org: "elsewhere" });
    },
  },
};
