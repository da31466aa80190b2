import { unseal } from "@launcher/crypto-token";
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { AuthError } from "./auth-error.ts";
import { createFakeDriver } from "./fake-driver.ts";
import { launcher } from "./launcher-per-test.ts";
import { TicketPayloadSchema } from "./schemas.ts";
import { followToEnd } from "./test-launcher.ts";
import { TICKET_PURPOSE } from "./ticket.ts";

/** The refusal of a call, or undefined when it went through. */
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

const expectNotOwner = (error: unknown) => {
  expect(error).toBeInstanceOf(TRPCError);
  expect((error as TRPCError).code).toBe("FORBIDDEN");
  expect((error as TRPCError).cause).toBeInstanceOf(AuthError);
  expect(((error as TRPCError).cause as AuthError).code).toBe("not_owner");
};

describe("ownership", () => {
  it("seals the caller into the ticket as its owner, and records it on the platform", async () => {
    const { deps, as, drivers } = await launcher();
    const { id, ticket } = await as("ada").launch.prepare({ template: "demo" });
    const payload = await unseal(deps.keyring, ticket, {
      purpose: TICKET_PURPOSE,
      schema: TicketPayloadSchema,
    });
    expect(payload.owner).toBe("ada");
    const { phases } = await followToEnd(await as("ada").launch.follow({ ticket }));
    expect(phases.at(-1)).toBe("ready");
    expect(await drivers[0]!.list()).toMatchObject([{ id, owner: "ada" }]);
  });

  it("refuses another user's follow before anything starts or is observed", async () => {
    const { as, drivers } = await launcher();
    const { ticket } = await as("ada").launch.prepare({ template: "demo" });
    const { snapshots, error } = await followToEnd(await as("bob").launch.follow({ ticket }));
    expectNotOwner(error);
    expect(snapshots).toEqual([]);
    expect(drivers[0]!.calls.ensure).toEqual([]);
    expect(drivers[0]!.calls.observe).toBe(0);
    // The owner's ticket is unharmed.
    expect((await followToEnd(await as("ada").launch.follow({ ticket }))).phases.at(-1)).toBe(
      "ready",
    );
  });

  it("refuses another user's destroy and leaves the instance running", async () => {
    const { as, drivers } = await launcher();
    const { id, ticket } = await as("ada").launch.prepare({ template: "demo" });
    await followToEnd(await as("ada").launch.follow({ ticket }));
    expectNotOwner(await refusal(as("bob").launch.destroy({ ticket })));
    expect(drivers[0]!.calls.destroy).toEqual([]);
    expect(drivers[0]!.read(id).phase).toBe("ready");
  });

  it("lets an admin follow and destroy anyone's ticket", async () => {
    const { as, drivers } = await launcher({ admins: ["root"] });
    const { id, ticket } = await as("ada").launch.prepare({ template: "demo" });
    expect((await followToEnd(await as("root").launch.follow({ ticket }))).phases.at(-1)).toBe(
      "ready",
    );
    // Followed by an admin, the instance is still the owner's.
    expect(await drivers[0]!.list()).toMatchObject([{ id, owner: "ada" }]);
    expect(await as("root").launch.destroy({ ticket })).toEqual({ id, phase: "destroyed" });
  });

  it("lets the one user of LAUNCHER_AUTH=none act on every ticket", async () => {
    const signedIn = await launcher();
    const { ticket } = await signedIn.as("ada").launch.prepare({ template: "demo" });
    const single = await launcher({ singleUser: true });
    // The same keyring: the ticket of a server that once had users.
    (single.deps as { keyring: unknown }).keyring = signedIn.deps.keyring;
    const { phases } = await followToEnd(await single.as("local").launch.follow({ ticket }));
    expect(phases.at(-1)).toBe("ready");
  });
});

describe("instances.destroy by id", () => {
  it("answers SERVICE_UNAVAILABLE, not NOT_FOUND, while a platform that may hold the id does not answer", async () => {
    const local = createFakeDriver("local");
    const docker = createFakeDriver("docker");
    const { as } = await launcher({ drivers: [local, docker] });
    const id = "0123456789abcdef0123456789abcdef";
    const list = docker.list;
    docker.list = async () => {
      throw new Error("the engine does not answer");
    };
    const away = await refusal(as("ada").instances.destroy({ id }));
    expect(away).toBeInstanceOf(TRPCError);
    expect((away as TRPCError).code).toBe("SERVICE_UNAVAILABLE");
    docker.list = list;
    const unknown = await refusal(as("ada").instances.destroy({ id }));
    expect((unknown as TRPCError).code).toBe("NOT_FOUND");
  });
});
