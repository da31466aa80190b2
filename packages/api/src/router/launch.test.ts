import { generateKey, parseKeyring, seal, unseal } from "@launcher/crypto-token";
import { type Driver, DriverError, type InstanceSpec, TemplateSchema } from "@launcher/drivers";
import { TRPCError } from "@trpc/server";
import { afterEach, describe, expect, it } from "vitest";
import type { LauncherDeps } from "../deps.ts";
import { createFakeDriver } from "../fake-driver.ts";
import { createLaunchSessions } from "../launch-session.ts";
import { createObservationHub } from "../observation-hub.ts";
import { createRateLimiter } from "../rate-limit.ts";
import { appRouter } from "../root.ts";
import { TicketPayloadSchema } from "../schemas.ts";
import { createCallerFactory } from "../trpc.ts";

const template = TemplateSchema.parse({
  id: "demo",
  name: "Demo",
  description: "test",
  secrets: [{ name: "password", env: "DEMO_PASSWORD", credential: true }],
  drivers: { local: { command: ["true"], healthPath: "/" } },
  ttl: 600,
});

/** A fake platform under the name `local`; `destroy` may be made to fail. */
function fakeDriver(destroyError?: Error) {
  const driver = createFakeDriver("local");
  const destroyed: string[] = [];
  const specs: InstanceSpec[] = [];
  driver.onEnsure = async (spec) => {
    specs.push(spec);
  };
  driver.destroy = async (id) => {
    if (destroyError) throw destroyError;
    destroyed.push(id);
  };
  return { driver, destroyed, ensured: driver.calls.ensure, specs };
}

const unlimited = () => createRateLimiter({ perMinute: 1000, burst: 1000 });
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function callerWith(driver: Driver, overrides: Partial<LauncherDeps> = {}) {
  const launches = createLaunchSessions({ hub: createObservationHub() });
  closers.push(() => launches.close());
  const deps: LauncherDeps = {
    keyring: await parseKeyring(`k1:${generateKey()}`),
    drivers: new Map([[driver.name, driver]]),
    templates: [template],
    defaultTemplate: template.id,
    defaultDriver: driver.name,
    ticketMaxAge: 3600,
    launches,
    limits: {
      unseal: unlimited(),
      prepare: unlimited(),
      destroy: unlimited(),
      follow: unlimited(),
      followInstance: unlimited(),
    },
    logger: { info() {}, warn() {}, error() {} },
    version: "test",
    ...overrides,
  };
  const factory = createCallerFactory(appRouter);
  const callerFrom = (clientAddress: string, user = "local") =>
    factory({ deps, clientAddress, user, admin: true });
  return { deps, caller: callerFrom("127.0.0.1"), callerFrom };
}

/** The first event of a follow, as a server-side caller sees `tracked()`: [id, data, marker]. */
async function firstEvent(events: AsyncIterable<unknown>) {
  const iterator = events[Symbol.asyncIterator]();
  const [eventId, snapshot] = (await iterator.next()).value as [string, Record<string, unknown>];
  await iterator.return?.();
  return { eventId, snapshot };
}

const codeOf = (error: unknown) => (error as TRPCError).code;

/** What the first event of a follow is: "ok", or the error it was refused with. */
async function firstOrError(follow: () => Promise<AsyncIterable<unknown>>): Promise<unknown> {
  try {
    await firstEvent(await follow());
    return "ok";
  } catch (error) {
    return error;
  }
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
    expect(codeOf(error)).toBe("SERVICE_UNAVAILABLE");
    expect((error as TRPCError).cause).toBeInstanceOf(DriverError);
  });

  it("is rate-limited per client address, since each destroy may leave a tombstone", async () => {
    const { driver, destroyed } = fakeDriver();
    const { callerFrom } = await callerWith(driver, {
      limits: {
        unseal: unlimited(),
        prepare: unlimited(),
        destroy: createRateLimiter({ perMinute: 2, burst: 2 }),
        follow: unlimited(),
        followInstance: unlimited(),
      },
    });
    const abuser = callerFrom("203.0.113.7");
    const tickets = await Promise.all(
      [1, 2, 3].map(() => abuser.launch.prepare({ template: "demo" })),
    );
    await abuser.launch.destroy({ ticket: tickets[0]!.ticket });
    await abuser.launch.destroy({ ticket: tickets[1]!.ticket });
    const refused = await abuser.launch.destroy({ ticket: tickets[2]!.ticket }).catch((e) => e);
    expect(codeOf(refused)).toBe("TOO_MANY_REQUESTS");
    expect(destroyed).toHaveLength(2);
    // Another address is not affected.
    await callerFrom("198.51.100.1").launch.destroy({ ticket: tickets[2]!.ticket });
    expect(destroyed).toHaveLength(3);
  });
});

describe("launch.follow", () => {
  it("sends preparing for a new launch before ensure starts anything", async () => {
    const { driver, ensured } = fakeDriver();
    const { caller } = await callerWith(driver);
    const { id, ticket } = await caller.launch.prepare({ template: "demo" });
    const { eventId, snapshot } = await firstEvent(await caller.launch.follow({ ticket }));
    expect(eventId).toBe("0");
    expect(snapshot).toMatchObject({ id, phase: "preparing", version: 0 });
    expect(ensured).toEqual([]); // not yet: the user saw "preparing" first
  });

  it("hands ensure the ticket's owner and an expiry capped by the template and the server", async () => {
    const { driver, specs } = fakeDriver();
    const { deps, caller, callerFrom } = await callerWith(driver, { instanceTtl: 3600 });
    const { ticket } = await caller.launch.prepare({ template: "demo" });
    const payload = await unseal(deps.keyring, ticket, {
      purpose: "launch",
      schema: TicketPayloadSchema,
    });
    expect(payload.owner).toBe("local");
    const events = (await caller.launch.follow({ ticket }))[Symbol.asyncIterator]();
    await events.next();
    const next = events.next();
    driver.move(payload.id, "starting");
    await next;
    await events.return?.();
    // The template's 600 s is below the server's 3600 s.
    expect(specs).toEqual([
      expect.objectContaining({ owner: "local", expiresAt: payload.createdAt + 600_000 }),
    ]);
    // The signed-in user owns what they prepare.
    const { ticket: alices } = await callerFrom("127.0.0.1", "alice").launch.prepare({
      template: "demo",
    });
    const sealed = await unseal(deps.keyring, alices, {
      purpose: "launch",
      schema: TicketPayloadSchema,
    });
    expect(sealed.owner).toBe("alice");
    // A ticket sealed before owners existed belongs to `local`.
    const { owner: _, ...old } = payload;
    const parsed = TicketPayloadSchema.parse(old);
    expect(parsed.owner).toBe("local");
  });

  it("refuses a ticket older than a lowered max age, though its own expiry is later", async () => {
    const { driver, ensured } = fakeDriver();
    const { deps, caller } = await callerWith(driver, { ticketMaxAge: 600 });
    const payload = {
      v: 1,
      id: "d".repeat(32),
      template: "demo",
      driver: "local",
      createdAt: Date.now() - 3_600_000,
      secrets: { password: "p".repeat(24) },
    };
    // Sealed an hour ago, when tickets lived a day.
    const old = await seal(deps.keyring, payload, {
      purpose: "launch",
      maxAge: 86_400,
      now: Date.now() - 3_600_000,
    });
    const error = await firstOrError(() => caller.launch.follow({ ticket: old }));
    expect(codeOf(error)).toBe("UNAUTHORIZED");
    expect((error as TRPCError).message).toContain("expired");
    expect(await caller.launch.destroy({ ticket: old }).catch(codeOf)).toBe("UNAUTHORIZED");
    expect(ensured).toEqual([]);
  });

  it("is rate-limited per client address and per instance", async () => {
    const { driver } = fakeDriver();
    const { caller, callerFrom } = await callerWith(driver, {
      limits: {
        unseal: unlimited(),
        prepare: unlimited(),
        destroy: unlimited(),
        follow: createRateLimiter({ perMinute: 3, burst: 3 }),
        followInstance: createRateLimiter({ perMinute: 5, burst: 5 }),
      },
    });
    const { ticket } = await caller.launch.prepare({ template: "demo" });
    const followFrom = async (address: string) => {
      const result = await firstOrError(() => callerFrom(address).launch.follow({ ticket }));
      return result === "ok" ? result : codeOf(result);
    };
    const storm = async (address: string) => {
      const results: unknown[] = [];
      for (let i = 0; i < 4; i++) results.push(await followFrom(address));
      return results;
    };
    expect(await storm("203.0.113.7")).toEqual(["ok", "ok", "ok", "TOO_MANY_REQUESTS"]);
    // Another address gets its own budget, until the instance's own budget (5) is spent.
    expect(await storm("198.51.100.1")).toEqual([
      "ok",
      "ok",
      "TOO_MANY_REQUESTS",
      "TOO_MANY_REQUESTS",
    ]);
  });
});
