import {
  DriverError,
  type InstanceSpec,
  type Observation,
  type Phase,
  TemplateSchema,
} from "@launcher/drivers";
import { waitFor } from "@launcher/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createFakeDriver, type FakeDriver } from "./fake-driver.ts";
import { createLaunchSessions, type LaunchEvent, type LaunchSessions } from "./launch-session.ts";
import { createObservationHub } from "./observation-hub.ts";

const template = TemplateSchema.parse({
  id: "demo",
  name: "Demo",
  description: "test",
  drivers: { local: { command: ["true"], healthPath: "/" } },
});
const spec = (id = "a".repeat(32)): InstanceSpec => ({
  id,
  template,
  createdAt: 0,
  owner: "local",
  expiresAt: 1,
});

const open: LaunchSessions[] = [];
/** A process's launch sessions; a "restart" is a second one over the same platform. */
function sessions(options: { unavailableAfterMs?: number; failureGraceMs?: number } = {}) {
  const launches = createLaunchSessions({
    hub: createObservationHub({ retry: { baseDelayMs: 1, maxDelayMs: 2 } }),
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
    failureGraceMs: 60_000,
    ...options,
  });
  open.push(launches);
  return launches;
}
afterEach(() => {
  for (const launches of open.splice(0)) launches.close();
});

/** Follows to the end; returns every event, or the error the follow ended with. */
async function followAll(
  launches: LaunchSessions,
  driver: FakeDriver,
  options: { lastEventId?: number; id?: string } = {},
) {
  const events: LaunchEvent[] = [];
  try {
    for await (const event of launches.follow(
      { driver, spec: spec(options.id), env: {} },
      { lastEventId: options.lastEventId, signal: new AbortController().signal },
    )) {
      events.push(event);
    }
    return { events, phases: events.map((e) => e.observation.phase), error: undefined };
  } catch (error) {
    return { events, phases: events.map((e) => e.observation.phase), error };
  }
}

const versions = (events: LaunchEvent[]) => events.map((e) => e.observation.version);

/** Makes every `ensure` move the instance to `phase`, then fail with `error`. */
function failEnsure(driver: FakeDriver, phase: Phase, error: Error) {
  driver.onEnsure = async (s) => {
    driver.move(s.id, phase);
    throw error;
  };
}

/** An admission whose turn the test gives (or refuses), counting its ends. */
function heldAdmission() {
  let give!: (refusal?: Error) => void;
  const turn = new Promise<void>((resolve, reject) => {
    give = (refusal) => (refusal ? reject(refusal) : resolve());
  });
  const admission = { ends: 0, turn: () => turn, end: () => void admission.ends++ };
  return { admission, give };
}

describe("launch sessions", () => {
  it("send preparing for a new launch before ensure starts anything, then follow to ready", async () => {
    const driver = createFakeDriver();
    const launches = sessions();
    const iterator = launches
      .follow({ driver, spec: spec(), env: {} }, { signal: new AbortController().signal })
      [Symbol.asyncIterator]();
    const first = (await iterator.next()).value as LaunchEvent;
    expect(first).toMatchObject({ eventId: "0", observation: { version: 0, phase: "preparing" } });
    expect(driver.calls.ensure).toEqual([]);
    const rest: Observation[] = [];
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
      rest.push(r.value.observation);
    }
    expect(driver.calls.ensure).toHaveLength(1);
    expect(rest.at(-1)).toMatchObject({ phase: "ready", version: 2 });
  });

  it("keeps a new launch at preparing until its admission's turn, then starts it", async () => {
    const driver = createFakeDriver();
    const { admission, give } = heldAdmission();
    const iterator = sessions()
      .follow(
        { driver, spec: spec(), env: {}, admit: async () => admission },
        { signal: new AbortController().signal },
      )
      [Symbol.asyncIterator]();
    expect((await iterator.next()).value?.observation.phase).toBe("preparing");
    const next = iterator.next();
    await new Promise((resolve) => setImmediate(resolve));
    expect(driver.calls.ensure).toEqual([]);
    give();
    expect((await next).value?.observation.phase).toBe("ready");
    expect(driver.calls.ensure).toEqual([spec().id]);
    await iterator.return?.();
    await waitFor(() => admission.ends === 1, "ensure to end the admission");
  });

  it("sends a refusal given at the turn to the follower, and starts nothing", async () => {
    const driver = createFakeDriver();
    const { admission, give } = heldAdmission();
    const refusal = new Error("another replica took the room");
    const follow = sessions().follow(
      { driver, spec: spec(), env: {}, admit: async () => admission },
      { signal: new AbortController().signal },
    );
    const phases: string[] = [];
    const ended = (async () => {
      for await (const event of follow) {
        phases.push(event.observation.phase);
        give(refusal);
      }
    })();
    await expect(ended).rejects.toBe(refusal);
    expect(phases).toEqual(["preparing"]);
    expect(driver.calls.ensure).toEqual([]);
    expect(admission.ends).toBe(1);
  });

  it("never sends a version again after a resume, and always resends the terminal snapshot", async () => {
    const driver = createFakeDriver();
    const launches = sessions();
    const resumedAtZero = await followAll(launches, driver, { lastEventId: 0 });
    expect(versions(resumedAtZero.events).includes(0)).toBe(false);
    expect(resumedAtZero.phases.at(-1)).toBe("ready");
    const ready = resumedAtZero.events.at(-1)!;
    // A client that saw the end and comes back (a refreshed summary) gets it once more.
    const again = await followAll(launches, driver, { lastEventId: ready.observation.version });
    expect(again.events).toEqual([ready]);
    expect(driver.calls.ensure).toHaveLength(1);
  });

  it("runs ensure once for any number of followers, and again in a new process", async () => {
    const driver = createFakeDriver();
    let finish!: () => void;
    driver.onEnsure = async (s) => {
      driver.move(s.id, "starting");
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
      driver.move(s.id, "ready");
    };
    const launches = sessions();
    const followers = Array.from({ length: 20 }, () => followAll(launches, driver));
    await waitFor(() => driver.calls.ensure.length > 0, "ensure to start");
    // A refollow while it runs, and a server restarted meanwhile (a new process, no session).
    const restarted = sessions();
    const late = followAll(restarted, driver, { lastEventId: 1 });
    await waitFor(() => driver.calls.ensure.length === 2, "the new process to ensure");
    finish();
    for (const result of await Promise.all([...followers, late])) {
      expect(result.error).toBeUndefined();
      expect(result.phases.at(-1)).toBe("ready");
    }
    expect(driver.calls.ensure).toHaveLength(2);
  });

  it("records a real failure on the platform and invents no snapshot of its own", async () => {
    const driver = createFakeDriver();
    failEnsure(driver, "starting", new DriverError("bad_spec", "the template has no image"));
    const result = await followAll(sessions(), driver);
    expect(driver.calls.recordFailure).toEqual([[spec().id, "the template has no image"]]);
    expect(result.error).toBeUndefined();
    const failed = result.events.at(-1)!.observation;
    expect(failed).toMatchObject({ phase: "failed", error: "the template has no image" });
    // Every event is the platform's own: same version, same content.
    expect(failed).toEqual(driver.read(spec().id));
    expect(versions(result.events)).toEqual([0, 1, 2]);
  });

  it("retries a brief platform hiccup and never turns it into failed", async () => {
    const driver = createFakeDriver();
    let attempts = 0;
    driver.onEnsure = async (s) => {
      attempts++;
      if (attempts === 1) throw new DriverError("unavailable", "the engine restarts");
      if (attempts === 2) throw new DriverError("platform", "the API answered 503");
      if (attempts === 3) throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
      driver.move(s.id, "ready");
    };
    const result = await followAll(sessions(), driver);
    expect(result.error).toBeUndefined();
    expect(result.phases).toEqual(["preparing", "ready"]);
    expect(driver.calls.recordFailure).toEqual([]);
    expect(attempts).toBe(4);
  });

  it("records a platform error that persists as the launch's failure (a health check that timed out)", async () => {
    const driver = createFakeDriver();
    const timedOut = "The health check (/) did not pass within 30 s";
    failEnsure(driver, "checking", new DriverError("platform", timedOut));
    const result = await followAll(sessions(), driver);
    expect(driver.calls.ensure.length).toBeGreaterThan(1); // a 5xx might have passed
    expect(driver.calls.recordFailure).toEqual([[spec().id, timedOut]]);
    expect(result.events.at(-1)?.observation).toMatchObject({ phase: "failed" });
  });

  it("tells followers the platform is unavailable when it stays away, without recording a failure", async () => {
    const driver = createFakeDriver();
    driver.onEnsure = async () => {
      throw new DriverError("unavailable", "the Docker engine does not answer");
    };
    const result = await followAll(sessions({ unavailableAfterMs: 0 }), driver);
    expect(result.error).toBeInstanceOf(DriverError);
    expect((result.error as DriverError).code).toBe("unavailable");
    expect(result.phases).toEqual(["preparing"]);
    expect(driver.calls.recordFailure).toEqual([]);
    expect(driver.calls.ensure.length).toBeGreaterThanOrEqual(3);
    expect(driver.read(spec().id).phase).toBe("preparing");
  });

  it("gives a recorded failure the platform could not hold to followers as an error", async () => {
    const driver = createFakeDriver();
    driver.holdsFailures = false;
    driver.onEnsure = async () => {
      throw new DriverError("bad_spec", "no such image");
    };
    const launches = sessions({ failureGraceMs: 1 });
    const result = await followAll(launches, driver);
    expect(result.error).toMatchObject({ code: "bad_spec", message: "no such image" });
    expect(driver.calls.recordFailure).toHaveLength(1);
    // A follower that comes while the session remembers it is told as well.
    const again = await followAll(launches, driver, { lastEventId: 0 });
    expect(again.error).toMatchObject({ code: "bad_spec" });
  });

  it("does not ensure an instance under a tombstone, nor one that has ended", async () => {
    const driver = createFakeDriver();
    const destroying = "b".repeat(32);
    driver.move(destroying, "destroying");
    const launches = sessions();
    const iterator = launches
      .follow({ driver, spec: spec(destroying), env: {} }, { signal: AbortSignal.timeout(60_000) })
      [Symbol.asyncIterator]();
    expect((await iterator.next()).value?.observation.phase).toBe("destroying");
    const end = iterator.next();
    driver.move(destroying, "destroyed");
    expect((await end).value?.observation.phase).toBe("destroyed");
    const ended = "c".repeat(32);
    driver.move(ended, "failed", { error: "exited" });
    expect((await followAll(launches, driver, { id: ended })).phases).toEqual(["failed"]);
    expect(driver.calls.ensure).toEqual([]);
  });

  it("keeps versions in order for every follower, whatever the platform sends", async () => {
    const driver = createFakeDriver();
    driver.onEnsure = async (s) => {
      for (const phase of ["pulling", "creating", "starting", "checking"] as const) {
        driver.move(s.id, phase);
      }
      driver.move(s.id, "ready");
    };
    const launches = sessions();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => followAll(launches, driver, { lastEventId: i % 3 })),
    );
    for (const [i, { events }] of results.entries()) {
      const seen = versions(events);
      expect(seen.every((v, j) => j === 0 || seen[j - 1]! < v)).toBe(true);
      expect(seen.every((v) => v > i % 3)).toBe(true);
      expect(events.map((e) => e.eventId)).toEqual(seen.map(String));
    }
  });

  it("forgets a session once its followers are gone and ensure has ended", async () => {
    const driver = createFakeDriver();
    const launches = createLaunchSessions({ hub: createObservationHub(), lingerMs: 0 });
    open.push(launches);
    await followAll(launches, driver);
    await waitFor(() => launches.size === 0, "the session to be dropped");
  });
});
