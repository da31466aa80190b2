import type { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import type { AuthError } from "../auth-error.ts";
import { createFakeDriver } from "../fake-driver.ts";
import { launcher as launcherPerTest } from "../launcher-per-test.ts";
import { RateLimitError } from "../rate-limit.ts";
import { followToEnd, type TestLauncherOptions } from "../test-launcher.ts";

async function launcher(options: TestLauncherOptions = {}) {
  const made = await launcherPerTest(options);
  /** Prepares and follows a launch as `user` to its end; returns its id and ticket. */
  const launchAs = async (user: string, driver?: string) => {
    const prepared = await made.as(user).launch.prepare({ template: "demo", driver });
    await followToEnd(await made.as(user).launch.follow(prepared));
    return prepared;
  };
  return { ...made, launchAs };
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );
const codeOf = (error: unknown) => (error as TRPCError).code;
const authCodeOf = (error: unknown) => ((error as TRPCError).cause as AuthError).code;

describe("instances.list", () => {
  it("lists the caller's instances from every platform, failed ones too, without secrets", async () => {
    const local = createFakeDriver("local");
    const docker = createFakeDriver("docker");
    const { as, launchAs } = await launcher({ drivers: [local, docker] });
    const a = await launchAs("ada");
    const b = await launchAs("ada", "docker");
    await launchAs("bob");
    docker.move(b.id, "failed", { error: "exited" });
    const { instances } = await as("ada").instances.list({});
    expect(instances.map((i) => [i.id, i.driver, i.phase, i.owner]).sort()).toEqual(
      [
        [a.id, "local", "ready", "ada"],
        [b.id, "docker", "failed", "ada"],
      ].sort(),
    );
    expect(Object.keys(instances[0]!).sort()).toEqual(
      ["createdAt", "driver", "expiresAt", "id", "owner", "phase", "template"].sort(),
    );
    expect(instances[0]!.expiresAt).toBeGreaterThan(instances[0]!.createdAt);
    expect(JSON.stringify(instances)).not.toMatch(/password|ticket/i);
    // No input at all is the caller's list too (a plain GET).
    expect((await as("ada").instances.list()).instances).toHaveLength(2);
  });

  it("shows everyone's to an admin who asks for all, and refuses a user who does", async () => {
    const { as, launchAs } = await launcher({ admins: ["root"] });
    await launchAs("ada");
    await launchAs("bob");
    expect((await as("root").instances.list({})).instances).toEqual([]);
    const all = (await as("root").instances.list({ all: true })).instances;
    expect(all.map((i) => i.owner).sort()).toEqual(["ada", "bob"]);
    const error = await refusal(as("ada").instances.list({ all: true }));
    expect(codeOf(error)).toBe("FORBIDDEN");
    expect(authCodeOf(error)).toBe("not_owner");
  });

  it("leaves out destroyed instances and platforms that do not answer", async () => {
    const local = createFakeDriver("local");
    const docker = createFakeDriver("docker");
    const { as, launchAs } = await launcher({ drivers: [local, docker] });
    const gone = await launchAs("ada");
    const kept = await launchAs("ada");
    await launchAs("ada", "docker");
    await as("ada").launch.destroy(gone);
    docker.available = async () => ({ available: false, reason: "no engine" });
    const { instances } = await as("ada").instances.list({});
    expect(instances.map((i) => i.id)).toEqual([kept.id]);
  });
});

describe("instances.destroy", () => {
  it("lets the owner destroy by id, with the tombstone a follow of the ticket then ends on", async () => {
    const { as, launchAs, drivers } = await launcher();
    const { id, ticket } = await launchAs("ada");
    expect(await as("ada").instances.destroy({ id })).toEqual({ id, phase: "destroyed" });
    expect(drivers[0]!.calls.destroy).toEqual([[id, "destroyed"]]);
    expect((await as("ada").instances.list({})).instances).toEqual([]);
    const after = await followToEnd(await as("ada").launch.follow({ ticket }));
    expect(after.phases).toEqual(["destroyed"]);
  });

  it("refuses another user's instance and changes nothing; an admin may", async () => {
    const { as, launchAs, drivers } = await launcher({ admins: ["root"] });
    const { id } = await launchAs("ada");
    const error = await refusal(as("bob").instances.destroy({ id }));
    expect(codeOf(error)).toBe("FORBIDDEN");
    expect(authCodeOf(error)).toBe("not_owner");
    expect(drivers[0]!.calls.destroy).toEqual([]);
    expect(drivers[0]!.read(id).phase).toBe("ready");
    expect(await as("root").instances.destroy({ id })).toEqual({ id, phase: "destroyed" });
  });

  it("answers NOT_FOUND for an id no platform knows, BAD_REQUEST for a malformed one", async () => {
    const { as, drivers } = await launcher();
    const unknown = await refusal(as("ada").instances.destroy({ id: "f".repeat(32) }));
    expect(codeOf(unknown)).toBe("NOT_FOUND");
    for (const id of ["", "F".repeat(32), "f".repeat(31), "../etc/passwd", "f".repeat(33)]) {
      expect(codeOf(await refusal(as("ada").instances.destroy({ id })))).toBe("BAD_REQUEST");
    }
    expect(drivers[0]!.calls.destroy).toEqual([]);
  });

  it("is rate-limited together with launch.destroy", async () => {
    const { as, launchAs } = await launcher({ destroyLimit: 2 });
    const first = await launchAs("ada");
    const second = await launchAs("ada");
    await as("ada").launch.destroy(first);
    await as("ada").instances.destroy({ id: second.id });
    const error = await refusal(as("ada").instances.destroy({ id: second.id }));
    expect(codeOf(error)).toBe("TOO_MANY_REQUESTS");
    expect((error as TRPCError).cause).toBeInstanceOf(RateLimitError);
  });
});
