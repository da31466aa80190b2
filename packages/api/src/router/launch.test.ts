import { generateKey, parseKeyring } from "@launcher/crypto-token";
import { type Driver, DriverError, type Observation, TemplateSchema } from "@launcher/drivers";
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import type { LauncherDeps } from "../deps.ts";
import { createObservationHub } from "../observation-hub.ts";
import { createRateLimiter } from "../rate-limit.ts";
import { appRouter } from "../root.ts";
import { createCallerFactory } from "../trpc.ts";

const template = TemplateSchema.parse({
  id: "demo",
  name: "Demo",
  description: "test",
  secrets: [{ name: "password", env: "DEMO_PASSWORD", credential: true }],
  drivers: { local: { command: ["true"], healthPath: "/" } },
});

/** A driver whose platform is a map the test can read; `destroy` may be made to fail. */
function fakeDriver(destroyError?: Error) {
  const destroyed: string[] = [];
  const ensured: string[] = [];
  const driver: Driver = {
    name: "local",
    available: async () => ({ available: true }),
    availableFor: async () => ({ available: true }),
    async ensure(spec) {
      ensured.push(spec.id);
    },
    recordFailure: async () => {},
    list: async () => [],
    sweep: async () => {},
    async *observe(): AsyncIterable<Observation> {
      yield { version: 0, phase: "preparing", steps: [], logTail: [] };
    },
    async destroy(id) {
      if (destroyError) throw destroyError;
      destroyed.push(id);
    },
  };
  return { driver, destroyed, ensured };
}

async function callerWith(driver: Driver, templates = [template]) {
  const deps: LauncherDeps = {
    keyring: await parseKeyring(`k1:${generateKey()}`),
    drivers: new Map([[driver.name, driver]]),
    templates,
    defaultTemplate: template.id,
    defaultDriver: driver.name,
    ticketMaxAge: 3600,
    hub: createObservationHub({}),
    limits: {
      unseal: createRateLimiter({ perMinute: 1000, burst: 1000 }),
      prepare: createRateLimiter({ perMinute: 1000, burst: 1000 }),
    },
    logger: { info() {}, warn() {}, error() {} },
    version: "test",
  };
  const caller = createCallerFactory(appRouter);
  return { deps, caller: caller({ deps, clientAddress: "127.0.0.1", user: "local", admin: true }) };
}

describe("launch.destroy", () => {
  it("tears down an instance whose template is no longer offered", async () => {
    const { driver, destroyed } = fakeDriver();
    const { deps, caller } = await callerWith(driver);
    const { id, ticket } = await caller.launch.prepare({ template: "demo" });
    (deps as { templates: readonly unknown[] }).templates = []; // a restart without it
    expect(await caller.launch.destroy({ ticket })).toEqual({ id, phase: "destroyed" });
    expect(destroyed).toEqual([id]);
  });

  it("answers a platform failure with SERVICE_UNAVAILABLE and its driver code", async () => {
    const { driver } = fakeDriver(new DriverError("unavailable", "No engine answers"));
    const { caller } = await callerWith(driver);
    const { ticket } = await caller.launch.prepare({ template: "demo" });
    const error = await caller.launch.destroy({ ticket }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("SERVICE_UNAVAILABLE");
    expect((error as TRPCError).cause).toBeInstanceOf(DriverError);
  });
});

describe("launch.follow", () => {
  it("sends preparing for a new launch before ensure starts anything", async () => {
    const { driver, ensured } = fakeDriver();
    const { caller } = await callerWith(driver);
    const { id, ticket } = await caller.launch.prepare({ template: "demo" });
    const events = await caller.launch.follow({ ticket });
    const iterator = events[Symbol.asyncIterator]();
    // A server-side caller sees `tracked()`'s envelope as it is: [id, data, marker].
    const [eventId, snapshot] = (await iterator.next()).value as unknown as [string, object];
    expect(eventId).toBe("0");
    expect(snapshot).toMatchObject({ id, phase: "preparing", version: 0 });
    expect(ensured).toEqual([]); // not yet: the user saw "preparing" first
    await iterator.return?.();
  });
});
