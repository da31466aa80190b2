import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, startSlowRegistry } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import { follow, makeClient, within } from "./client.ts";
import { docker, engineUp } from "./engine.ts";

// A cold image pull (minutes, in production) on the docker driver: the instance counts
// against the quotas from the start of its launch, and the replica's next launch does not
// wait for that pull to end before it may start.

const SCRATCHPAD_IMAGE = "localhost/launcher-scratchpad:latest";
const scratchpadWith = (id: string, image: string) => ({
  id,
  name: id,
  description: "Scratchpad on docker. For tests only.",
  secrets: [{ name: "password", env: "SCRATCHPAD_PASSWORD", length: 24 }],
  drivers: { docker: { image, port: 8080, healthPath: "/health", timeout: 30 } },
});

const containersOf = (id: string) =>
  docker.listContainers({ all: true, filters: { label: [`launcher.id=${id}`] } });

describe.skipIf(!engineUp)("a docker launch whose image is being pulled", () => {
  it("is listed and counted at once, and the next launch on the same server starts without waiting for the pull", async () => {
    const base = await docker.getImage(SCRATCHPAD_IMAGE).inspect();
    const upstream = base.Config.Labels?.["launcher.test-pull-image"];
    expect(upstream, "scripts/engine.sh labels the test image with its registry copy").toBeTruthy();
    await using registry = await startSlowRegistry(upstream!);
    const dir = await mkdtemp(join(tmpdir(), "launcher-pull-quota-"));
    const templates = join(dir, "templates.json");
    await writeFile(
      templates,
      JSON.stringify([
        scratchpadWith("slow", registry.image),
        scratchpadWith("quick", SCRATCHPAD_IMAGE),
      ]),
    );
    const server = await startServer({
      env: {
        LAUNCHER_TEMPLATES: templates,
        LAUNCHER_DEFAULT_TEMPLATE: "quick",
        LAUNCHER_DRIVERS: "docker",
        LAUNCHER_DEFAULT_DRIVER: "docker",
        LAUNCHER_MAX_INSTANCES_PER_USER: "2",
        // A user of its own: other tests' instances on the same engine are not this one's.
        LAUNCHER_AUTH: "header",
        LAUNCHER_TRUST_PROXY: "1",
      },
    });
    const user = `puller-${crypto.randomUUID()}`;
    const c = makeClient(server.url, { headers: { "x-forwarded-user": user } });
    try {
      registry.release(); // prepare asks the registry whether it has the image
      const slow = await c.client.launch.prepare.mutate({ template: "slow" });
      registry.hold();
      const pulling = follow(c.client, { ticket: slow.ticket });
      await registry.held(); // its pull is under way, and stays so until released
      const listed = await c.client.instances.list.query({});
      expect(listed.instances.map((i) => [i.id, i.owner, i.phase])).toEqual([
        [slow.id, user, "pulling"],
      ]);

      // The quota counts it: one more fits, then no more.
      const quick = await c.client.launch.prepare.mutate({ template: "quick" });
      const ready = await within(follow(c.client, { ticket: quick.ticket }).done, 60_000);
      expect(ready.phase).toBe("ready");
      const third = await c.client.launch.prepare.mutate({ template: "quick" });
      const refused = follow(c.client, { ticket: third.ticket });
      await expect(refused.done).rejects.toMatchObject({ data: { quota: { scope: "user" } } });
      expect(pulling.snapshots.at(-1)?.phase).toBe("pulling");

      // Destroyed mid-pull: its follower ends destroyed, and nothing of it is left.
      await c.client.launch.destroy.mutate({ ticket: slow.ticket });
      expect((await within(pulling.done)).phase).toBe("destroyed");
      const after = await c.client.instances.list.query({});
      expect(after.instances.map((i) => i.id)).toEqual([quick.id]);
      expect(await containersOf(slow.id)).toEqual([]);
      await c.client.launch.destroy.mutate({ ticket: quick.ticket });
    } finally {
      c.close();
      await server.dispose();
      await rm(dir, { recursive: true, force: true });
      await docker
        .getImage(registry.image)
        .remove({ force: true })
        .catch(() => {});
    }
  });
});
