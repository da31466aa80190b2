import { describe, expect, it } from "vitest";
import { withSpec } from "../driver-fixtures.ts";
import { template } from "./fly-fixtures.ts";
import {
  describeFly,
  type FlyFacts,
  flyInstanceInfo,
  machineTime,
  VERSION,
} from "./fly-observation.ts";
import type { FlyMachine } from "./fly-platform.ts";
import { parseTombstones, tombstoneSecretName } from "./fly-tombstones.ts";
import { guestFor, META } from "./machine-config.ts";

const ID = "0123456789abcdef0123456789abcdef";
const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const iso = (ms: number) => new Date(T0 + ms).toISOString();

const machine = (state: string, extra: Partial<FlyMachine> = {}, metadata = {}): FlyMachine => ({
  id: "m1",
  state,
  created_at: iso(0),
  updated_at: iso(100),
  config: {
    metadata: {
      [META.id]: ID,
      [META.owner]: "alice",
      [META.template]: "livebook",
      [META.createdAt]: iso(-500),
      [META.expiresAt]: iso(3_600_000),
      [META.timeout]: "60",
      [META.urlPath]: "/",
      ...metadata,
    },
  },
  checks: [{ name: "http", status: "critical", updated_at: iso(200) }],
  ...extra,
});

const facts = (over: Partial<FlyFacts>): FlyFacts => ({
  app: `launcher-${ID}`,
  appExists: true,
  now: T0 + 1000,
  ...over,
});
const grave = (reason: "destroyed" | "expired", at = T0 + 5000) => ({
  id: ID,
  reason,
  at,
  name: tombstoneSecretName(ID, reason),
});

describe("fly observations from platform state", () => {
  it("walks preparing → creating → starting → checking → ready with growing versions", () => {
    const passing = [{ name: "http", status: "passing", updated_at: iso(300) }];
    const seen = [
      describeFly(facts({ appExists: false })),
      describeFly(facts({})),
      describeFly(facts({ machine: machine("created") })),
      describeFly(facts({ machine: machine("starting", { updated_at: iso(150) }) })),
      describeFly(facts({ machine: machine("started", { updated_at: iso(250) }) })),
      describeFly(
        facts({ machine: machine("started", { updated_at: iso(250), checks: passing }) }),
      ),
    ];
    expect(seen.map((o) => o.phase)).toEqual([
      "preparing",
      "creating",
      "creating",
      "starting",
      "checking",
      "ready",
    ]);
    const versions = seen.map((o) => o.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(seen.at(-1)!.url).toBe(`https://launcher-${ID}.fly.dev/`);
  });

  it("is destroying under a tombstone while the machine is not destroyed, then destroyed for good", () => {
    const running = machine("started");
    const before = describeFly(facts({ machine: running }));
    const going = describeFly(
      facts({
        machine: machine("destroying", { updated_at: iso(9000) }),
        tombstone: grave("destroyed"),
      }),
    );
    const gone = describeFly(
      facts({ machine: machine("destroyed"), tombstone: grave("destroyed") }),
    );
    const appGone = describeFly(facts({ appExists: false, tombstone: grave("destroyed") }));
    expect(describeFly(facts({ machine: running, tombstone: grave("destroyed") })).phase).toBe(
      "destroying",
    );
    expect(going.phase).toBe("destroying");
    expect(going.version).toBeGreaterThan(before.version);
    expect(gone).toMatchObject({ phase: "destroyed", version: VERSION.destroyed });
    expect(appGone).toMatchObject({ phase: "destroyed", version: VERSION.destroyed });
    expect(gone.message).toBe("Destroyed");
  });

  it("says so when an instance expired", () => {
    const going = describeFly(facts({ machine: machine("started"), tombstone: grave("expired") }));
    const gone = describeFly(facts({ appExists: false, tombstone: grave("expired") }));
    expect(going.message).toMatch(/expired/);
    expect(gone).toMatchObject({ phase: "destroyed", message: expect.stringMatching(/expired/) });
  });

  it("times a launch out one version past its last state, but never one marked ready", () => {
    const late = T0 + 61_000;
    const checking = machine("started");
    const timedOut = describeFly(facts({ machine: checking, now: late }));
    expect(timedOut).toMatchObject({ phase: "failed", version: machineTime(checking) + 1 });
    expect(timedOut.error).toMatch(/within 60 s/);
    const marked = machine("started", {}, { [META.ready]: iso(400) });
    expect(describeFly(facts({ machine: marked, now: late })).phase).toBe("ready");
  });

  it("reports a recorded failure with its reason, after anything shown before", () => {
    const plain = machine("started");
    const marked = machine("started", {}, { [META.failed]: "The image would not start" });
    const failed = describeFly(facts({ machine: marked }));
    expect(failed).toMatchObject({ phase: "failed", error: "The image would not start" });
    expect(failed.version).toBeGreaterThan(
      describeFly(facts({ machine: plain, now: T0 + 61_000 })).version,
    );
    const early = describeFly(facts({ failedBeforeMachineAt: T0 + 50 }));
    expect(early).toMatchObject({ phase: "failed", version: T0 + 50 });
  });

  it("lists an instance from its metadata, and not once destroyed", () => {
    expect(flyInstanceInfo(facts({ machine: machine("started") }))).toEqual({
      id: ID,
      owner: "alice",
      template: "livebook",
      phase: "checking",
      createdAt: T0 - 500,
      expiresAt: T0 + 3_600_000,
    });
    expect(flyInstanceInfo(facts({ machine: machine("destroyed") }))).toBeUndefined();
    expect(
      flyInstanceInfo(facts({ machine: machine("started"), tombstone: grave("destroyed") }))?.phase,
    ).toBe("destroying");
  });

  it("reads tombstones from secret names only, the oldest first", () => {
    const found = parseTombstones([
      { name: tombstoneSecretName(ID, "destroyed"), created_at: iso(20) },
      { name: tombstoneSecretName(ID, "expired"), created_at: iso(10) },
      { name: "LAUNCHER_DESTROYED_NOT-AN-ID", created_at: iso(0) },
      { name: "DATABASE_URL", created_at: iso(0) },
    ]);
    expect([...found.values()]).toEqual([
      { id: ID, reason: "expired", at: T0 + 10, name: tombstoneSecretName(ID, "expired") },
    ]);
  });
});

describe("fly guest size", () => {
  const sized = (resources: object, guest?: object) =>
    withSpec(template, "fly", { guest }, { resources });
  it("takes the template's resources, rounded up to what Fly offers", () => {
    const guest = (resources: object) => guestFor(sized(resources));
    expect(guest({})).toEqual({ cpu_kind: "shared", cpus: 1, memory_mb: 256 });
    expect(guest({ cpus: 0.5, memoryMiB: 256 })).toMatchObject({ cpus: 1, memory_mb: 256 });
    expect(guest({ cpus: 3, memoryMiB: 1000 })).toMatchObject({ cpus: 4, memory_mb: 1024 });
    expect(guest({ cpus: 64 })).toMatchObject({ cpus: 16 });
  });
  it("lets the Fly spec's own guest win", () => {
    const own = sized({ cpus: 4, memoryMiB: 4096 }, { cpus: 1, memoryMb: 512 });
    expect(guestFor(own)).toMatchObject({ cpus: 1, memory_mb: 512 });
  });
});
