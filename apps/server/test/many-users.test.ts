// Many users on two replicas behind nginx (LAUNCHER_AUTH=header, Basic auth in nginx): whose an
// instance is, what each one sees and may end, how many each may run, and when they end.
import type { Instance, Snapshot } from "@launcher/api";
import { TRPCClientError } from "@trpc/client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { login, startAuthReplicas } from "./auth-replicas.ts";
import { basicAuth, type Client, follow, makeClient } from "./client.ts";
import { waitFor } from "./harness.ts";
import { NGINX } from "./nginx.ts";
import { call, request } from "./peer.ts";

const PER_USER = 2;
const GLOBAL = 5;

/** What a call was refused with, as the client sees the server's errorFormatter. */
function refusal(error: unknown) {
  if (!(error instanceof TRPCClientError)) throw error;
  return {
    message: error.message,
    ...(error.data as {
      code: string;
      authCode?: string;
      quota?: { scope: string; limit: number; used: number };
    }),
  };
}
const refused = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("the call went through");
    },
    (error: unknown) => refusal(error),
  );

/** Follows a ticket to its end: the terminal snapshot, or what the follow was refused with. */
async function followToEnd(client: Client, ticket: string) {
  const followed = follow(client, { ticket });
  try {
    return { snapshot: await followed.done, snapshots: followed.snapshots };
  } catch (error) {
    followed.stop();
    return { refusal: refusal(error), snapshots: followed.snapshots };
  } finally {
    followed.stop();
  }
}

type Setup = Awaited<ReturnType<typeof startAuthReplicas>>;
const clients: ReturnType<typeof makeClient>[] = [];

/** A tRPC client signed in through nginx (HTTP batches and a WebSocket of its own). */
function as(setup: Setup, user: string, options: { headers?: Record<string, string> } = {}) {
  const made = makeClient(setup.lb.url, {
    origin: setup.lb.url,
    headers: { ...login(user), ...options.headers },
  });
  clients.push(made);
  return made.client;
}

/**
 * A client of one replica itself, as nginx would forward for `user` (the replicas believe
 * 127.0.0.1): so that two of them surely admit on different replicas.
 */
function atReplica(replica: { url: string }, user: string) {
  const made = makeClient(replica.url, {
    origin: replica.url,
    headers: { "x-forwarded-user": user },
  });
  clients.push(made);
  return made.client;
}

describe.skipIf(!NGINX && !process.env.CI)("many users through nginx, two replicas", () => {
  let setup: Setup;
  let boss: Client;

  beforeAll(async () => {
    setup = await startAuthReplicas({
      // Only this test's platform: a shared container engine holds other launchers' instances.
      LAUNCHER_DRIVERS: "local",
      LAUNCHER_MAX_INSTANCES_PER_USER: String(PER_USER),
      LAUNCHER_MAX_INSTANCES: String(GLOBAL),
    });
    boss = as(setup, "boss");
  }, 60_000);
  afterAll(async () => {
    for (const c of clients.splice(0)) c.close();
    await setup?.[Symbol.asyncDispose]();
  });

  /** Every instance, as the admin sees them. */
  const everything = async () => (await boss.instances.list.query({ all: true })).instances;
  /** Ends every instance (as the admin), so each test starts with none. */
  const destroyEverything = async () => {
    for (const instance of await everything()) {
      await boss.instances.destroy.mutate({ id: instance.id });
    }
    expect(await everything()).toEqual([]);
  };
  // A test that fails midway must not leave instances that push the next ones over a quota.
  afterEach(() => destroyEverything());
  const launch = async (client: Client, template = "scratchpad") => {
    const prepared = await client.launch.prepare.mutate({ template });
    const { snapshot, refusal: why } = await followToEnd(client, prepared.ticket);
    expect(snapshot?.phase, JSON.stringify(why)).toBe("ready");
    return { ...prepared, snapshot: snapshot as Snapshot };
  };

  /** Every follow of `tickets` at once, the i-th on `clients[i % clients.length]`; which started. */
  const followAtOnce = async (clients: Client[], tickets: { ticket: string }[]) => {
    const results = await Promise.all(
      tickets.map(({ ticket }, i) => followToEnd(clients[i % clients.length]!, ticket)),
    );
    for (const { snapshot, refusal: why } of results) {
      if (snapshot?.phase === "ready") continue;
      expect(why, JSON.stringify(snapshot)).toMatchObject({ code: "FORBIDDEN", quota: {} });
    }
    return results.filter((r) => r.snapshot?.phase === "ready").length;
  };
  const prepareMany = (client: Client, count: number) =>
    Promise.all(
      Array.from({ length: count }, () => client.launch.prepare.mutate({ template: "scratchpad" })),
    );

  it("counts a user's launches exactly, even many at once, and keeps the refused tickets good", async () => {
    const alice = as(setup, "alice");
    const tickets = await prepareMany(alice, 6);
    // One connection, one replica: exact.
    const results = await Promise.all(tickets.map(({ ticket }) => followToEnd(alice, ticket)));
    const ready = results.filter((r) => r.snapshot?.phase === "ready");
    const over = results.filter((r) => r.refusal);
    expect(ready).toHaveLength(PER_USER);
    expect(over).toHaveLength(tickets.length - PER_USER);
    for (const { refusal: why, snapshots } of over) {
      expect(why).toMatchObject({
        code: "FORBIDDEN",
        quota: { scope: "user", limit: PER_USER, used: PER_USER },
      });
      expect(why!.message).toMatch(/Destroy one of them, then launch again/);
      // Refused before anything started: not even `preparing`.
      expect(snapshots).toEqual([]);
    }
    const listed = (await alice.instances.list.query({})).instances;
    expect(listed.map((i) => i.phase)).toEqual(["ready", "ready"]);

    // Free a slot: a refused ticket launches now.
    await alice.instances.destroy.mutate({ id: listed[0]!.id });
    const retry = tickets.find(({ id }) => !listed.some((i) => i.id === id))!;
    expect((await followToEnd(alice, retry.ticket)).snapshot?.phase).toBe("ready");
  }, 120_000);

  it("holds a user's limit across both replicas launching at once: one more at most", async () => {
    // One connection to each replica: both admit at the same instant.
    const bobs = [atReplica(setup.a, "bob"), atReplica(setup.b, "bob")];
    const started = await followAtOnce(bobs, await prepareMany(bobs[0]!, 6));
    expect(started).toBeGreaterThanOrEqual(PER_USER);
    expect(started).toBeLessThanOrEqual(PER_USER + 1);
    expect((await bobs[1]!.instances.list.query({})).instances).toHaveLength(started);
  }, 120_000);

  it("holds the launcher's limit across both replicas launching at once: one more at most", async () => {
    // Three users, three launches each (at most PER_USER + 1 = 3 start each): GLOBAL binds.
    const users = ["alice", "bob", "carol"].map((user) => [
      atReplica(setup.a, user),
      atReplica(setup.b, user),
    ]);
    const tickets = await Promise.all(users.map(([client]) => prepareMany(client!, 3)));
    const started = await Promise.all(
      users.map((clients, i) => followAtOnce(clients, tickets[i]!)),
    );
    const total = started.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(GLOBAL);
    expect(total).toBeLessThanOrEqual(GLOBAL + 1);
    expect(await everything()).toHaveLength(total);
  }, 120_000);

  it("counts every user against the launcher's limit", async () => {
    const users = ["alice", "bob", "carol"].map((user) => as(setup, user));
    // 2 + 2 + 1 = GLOBAL
    for (const [i, client] of users.entries()) {
      for (let n = 0; n < (i < 2 ? 2 : 1); n++) await launch(client);
    }
    const carol = users[2]!;
    const prepared = await carol.launch.prepare.mutate({ template: "scratchpad" });
    const { refusal: why } = await followToEnd(carol, prepared.ticket);
    expect(why).toMatchObject({
      code: "FORBIDDEN",
      quota: { scope: "global", limit: GLOBAL, used: GLOBAL },
    });
    expect(why!.message).toMatch(/then launch again/);
    expect(await everything()).toHaveLength(GLOBAL);
  }, 120_000);

  it("shows each user their own instances, and everyone's to the admin only", async () => {
    const alice = as(setup, "alice");
    const bob = as(setup, "bob");
    const a = await launch(alice);
    const b = await launch(bob);
    // Every call may land on either replica: each reads the same platform.
    for (let i = 0; i < 2; i++) {
      const mine = (await alice.instances.list.query({})).instances;
      expect(mine).toEqual([
        {
          id: a.id,
          owner: "alice",
          template: "scratchpad",
          driver: "local",
          phase: "ready",
          createdAt: a.snapshot.createdAt,
          expiresAt: a.snapshot.createdAt + 28_800_000,
        } satisfies Instance,
      ]);
      expect((await bob.instances.list.query()).instances.map((x) => x.id)).toEqual([b.id]);
    }
    expect(await refused(alice.instances.list.query({ all: true }))).toMatchObject({
      code: "FORBIDDEN",
      authCode: "not_owner",
    });
    expect((await boss.instances.list.query({})).instances).toEqual([]);
    const all = await everything();
    expect(all.map((x) => [x.owner, x.id]).sort()).toEqual(
      [
        ["alice", a.id],
        ["bob", b.id],
      ].sort(),
    );
    // No secret, no ticket in a list.
    expect(JSON.stringify(all)).not.toContain(a.snapshot.access!.credentials.password!);
    expect(JSON.stringify(all)).not.toContain(a.ticket);
  }, 120_000);

  it("refuses another user's ticket or instance with not_owner and changes nothing; the admin may", async () => {
    const alice = as(setup, "alice");
    const bob = as(setup, "bob");
    const a = await launch(alice);
    const password = a.snapshot.access!.credentials.password!;

    const followed = await followToEnd(bob, a.ticket);
    expect(followed.refusal).toMatchObject({ code: "FORBIDDEN", authCode: "not_owner" });
    expect(followed.snapshots).toEqual([]); // no access details, no snapshot at all
    for (const attempt of [
      bob.launch.destroy.mutate({ ticket: a.ticket }),
      bob.instances.destroy.mutate({ id: a.id }),
    ]) {
      expect(await refused(attempt)).toMatchObject({ code: "FORBIDDEN", authCode: "not_owner" });
    }
    // Still running, still alice's.
    const res = await fetch(a.snapshot.access!.url, { headers: basicAuth(password) });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    expect((await alice.instances.list.query({})).instances).toMatchObject([
      { id: a.id, phase: "ready" },
    ]);

    // The admin ends it by id; alice's follow of her ticket then ends `destroyed`.
    expect(await boss.instances.destroy.mutate({ id: a.id })).toEqual({
      id: a.id,
      phase: "destroyed",
    });
    const after = await followToEnd(alice, a.ticket);
    expect(after.snapshot?.phase).toBe("destroyed");
    expect((await alice.instances.list.query({})).instances).toEqual([]);
  }, 120_000);

  it("lets the owner destroy by id, and refuses bad input with a typed error, changing nothing", async () => {
    const alice = as(setup, "alice");
    const a = await launch(alice);
    const before = await everything();

    // Through nginx: an unknown user, a wrong password, no password: nginx says no.
    for (const headers of [login("mallory"), login("alice", "guess"), {}]) {
      const reply = await request(`${setup.lb.url}/trpc/instances.list`, { headers });
      expect(reply.status).toBe(401);
    }
    // A user header of one's own is replaced by nginx: alice stays alice.
    const forged = as(setup, "alice", { headers: { "x-forwarded-user": "boss" } });
    expect(await refused(forged.instances.list.query({ all: true }))).toMatchObject({
      code: "FORBIDDEN",
      authCode: "not_owner",
    });
    // Straight to a replica, nobody is believed but nginx.
    const direct = await call(setup.a.url, "instances.destroy", {
      headers: { "x-forwarded-user": "alice" },
      input: { id: a.id },
      from: "127.0.0.2",
    });
    expect(direct.error?.data).toMatchObject({ code: "UNAUTHORIZED", authCode: "unauthenticated" });

    const carol = as(setup, "carol"); // a user with no instance at all
    expect((await carol.instances.list.query({})).instances).toEqual([]);
    expect(await refused(carol.instances.destroy.mutate({ id: "f".repeat(32) }))).toMatchObject({
      code: "NOT_FOUND",
    });
    for (const id of ["", "F".repeat(32), `${a.id}0`, "../../etc", a.id.slice(1)]) {
      expect(await refused(alice.instances.destroy.mutate({ id }))).toMatchObject({
        code: "BAD_REQUEST",
      });
    }
    const badAll = await call(setup.lb.url, "instances.list?input=%7B%22all%22%3A%22yes%22%7D", {
      headers: login("boss"),
    });
    expect(badAll.error?.data).toMatchObject({ code: "BAD_REQUEST" });
    expect(await everything()).toEqual(before);

    // The owner ends it by id, without the ticket.
    expect(await alice.instances.destroy.mutate({ id: a.id })).toEqual({
      id: a.id,
      phase: "destroyed",
    });
    expect(await everything()).toEqual([]);
    expect((await followToEnd(alice, a.ticket)).snapshot?.phase).toBe("destroyed");
  }, 120_000);
});

describe.skipIf(!NGINX && !process.env.CI)("lifetimes through nginx, two replicas", () => {
  it("reaps an expired instance on its own; its follower ends destroyed, told it expired", async () => {
    await using setup = await startAuthReplicas({
      LAUNCHER_DRIVERS: "local",
      LAUNCHER_INSTANCE_TTL: "2",
      LAUNCHER_REAP_INTERVAL: "1",
    });
    const alice = as(setup, "alice");
    try {
      const { id, ticket } = await alice.launch.prepare.mutate({ template: "scratchpad" });
      // Ready first, or destroyed mid-launch: the launch and its 2 s lifetime race here.
      const first = (await followToEnd(alice, ticket)).snapshot;
      expect(["ready", "destroyed"]).toContain(first?.phase);
      await waitFor(
        async () => (await alice.instances.list.query({})).instances.length === 0,
        "the reaper to end it",
      );
      expect((await followToEnd(alice, ticket)).snapshot).toMatchObject({
        id,
        phase: "destroyed",
        message: expect.stringMatching(/expired/),
      });
      if (first?.access) {
        const gone = await fetch(first.access.url).then(
          (res) => res.arrayBuffer().then(() => res.status),
          () => "refused",
        );
        expect(gone).toBe("refused");
      }
      // Both replicas reaped, neither tripped over the other.
      for (const replica of [setup.a, setup.b]) {
        expect(replica.output()).not.toMatch(/reaping failed|expired instance not destroyed/);
      }
    } finally {
      for (const c of clients.splice(0)) c.close();
    }
  }, 120_000);
});
