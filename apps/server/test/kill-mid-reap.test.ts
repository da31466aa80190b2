// Lifetimes after a crash: a replica reaping an expired instance is killed with SIGKILL in the
// middle of its teardown (the instance's app ignores SIGTERM, so the teardown waits out its
// grace), and the launcher still ends the instance, tells its follower it expired, and leaves
// nothing running. Two real replicas behind nginx sharing one platform: the local driver's
// state dir, or the real Docker engine.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import { follow, makeClient, within } from "./client.ts";
import { docker, engineUp } from "./engine.ts";
import { instanceProcesses, waitFor } from "./harness.ts";
import { NGINX, startReplicaPair } from "./nginx.ts";

type Setup = Awaited<ReturnType<typeof startReapers>>;

interface Platform {
  driver: "local" | "docker";
  /** Skipped when it cannot run here. */
  runs: boolean;
  /** A template whose app ignores SIGTERM: its teardown lasts the whole grace. */
  template: object;
  /** What of instance `id` is still there, as a list of words ("app", "running", "exited"). */
  leftOf(setup: Setup, id: string): Promise<string[]>;
}

const PLATFORMS: Platform[] = [
  {
    driver: "local",
    runs: true,
    template: {
      local: {
        command: [
          "{node}",
          join(REPO_ROOT, "packages/drivers/src/local/fixtures/app.mjs"),
          "{port}",
          "--ignore-term",
        ],
        healthPath: "/",
        timeout: 20,
      },
    },
    async leftOf({ a, b }, id) {
      const found = [
        ...(await instanceProcesses(a.stateDir, a.workDir)),
        ...(await instanceProcesses(a.stateDir, b.workDir)),
      ];
      return found.filter((p) => p.id === id).map((p) => p.kind);
    },
  },
  {
    driver: "docker",
    runs: engineUp,
    template: {
      docker: {
        // The Scratchpad image, with its server as PID 1: no TERM handler, so TERM does nothing.
        image: "localhost/launcher-scratchpad:latest",
        command: ["/bin/nc", "-ll", "-p", "8080", "-e", "/serve"],
        port: 8080,
        healthPath: "/health",
        timeout: 30,
      },
    },
    async leftOf(_setup, id) {
      const filters = { label: [`launcher.id=${id}`] };
      const containers = await docker.listContainers({ all: true, filters });
      return containers.map((c) => c.State);
    },
  },
];

/**
 * Two replicas on one platform: `a` reaps every second, `b` every `bReapsEvery` seconds (3600:
 * not within the test, so the reaping is `a`'s and `b` only serves followers meanwhile).
 */
/** Long enough for a launch to be ready first on a loaded machine (docker included). */
const TTL_SECONDS = 10;

async function startReapers(platform: Platform, bReapsEvery: number) {
  const dir = await mkdtemp(join(tmpdir(), "launcher-reap-kill-"));
  const templates = join(dir, "templates.json");
  const stubborn = {
    id: "stubborn",
    name: "Stubborn",
    description: "Ignores SIGTERM. For tests only.",
    ttl: TTL_SECONDS,
    drivers: platform.template,
  };
  await writeFile(templates, JSON.stringify([stubborn]));
  const pair = await startReplicaPair({
    env: {
      LAUNCHER_TEMPLATES: templates,
      // Only this platform: the reapers run every second.
      LAUNCHER_DRIVERS: platform.driver,
      LAUNCHER_DEFAULT_DRIVER: platform.driver,
      LAUNCHER_TRUST_PROXY: "1",
    },
    a: { LAUNCHER_REAP_INTERVAL: "1" },
    b: { LAUNCHER_REAP_INTERVAL: String(bReapsEvery) },
  });
  return {
    ...pair,
    async [Symbol.asyncDispose]() {
      await pair[Symbol.asyncDispose]();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const RECOVERIES = [
  {
    name: "a replica killed mid-reap and started again finishes the teardown",
    bReapsEvery: 3600,
    restart: true,
  },
  {
    name: "the other replica finishes a reap cut short by kill -9, reaping at the same time",
    bReapsEvery: 1,
    restart: false,
  },
];

describe.skipIf(!NGINX && !process.env.CI)("a replica killed mid-reap", () => {
  for (const platform of PLATFORMS) {
    for (const { name, bReapsEvery, restart } of RECOVERIES) {
      it.skipIf(!platform.runs)(
        `${platform.driver}: ${name}; nothing of it runs, its follower ends destroyed, told it expired`,
        async () => {
          await using setup = await startReapers(platform, bReapsEvery);
          const { a, b, lb } = setup;
          const c = makeClient(lb.url, { origin: lb.url });
          try {
            const { id, ticket } = await c.client.launch.prepare.mutate({ template: "stubborn" });
            const ready = await within(follow(c.client, { ticket }).done, 60_000);
            expect(ready.phase).toBe("ready");
            // Others' instances may share a container engine: only this one counts here.
            const listed = async () =>
              (await c.client.instances.list.query({})).instances.filter((i) => i.id === id);
            expect(await listed()).toMatchObject([
              { expiresAt: ready.createdAt + TTL_SECONDS * 1000 },
            ]);

            // Reaped: the tombstone is written and the teardown waits for the app to stop.
            await waitFor(
              async () => (await listed()).some((i) => i.phase === "destroying"),
              "the reaper to begin",
            );
            // Its holder follows it again (a reload, say): the follow stays open until it ends.
            const followed = follow(c.client, { ticket });
            await followed.until((s) => s.phase === "destroying");
            await a.kill("SIGKILL");
            // Cut short: the app is still there, and the other replica says it is being destroyed.
            expect(await platform.leftOf(setup, id)).not.toEqual([]);
            expect(await listed()).toMatchObject([{ phase: "destroying" }]);

            // Started again, `a` finishes the teardown (the sweep at its start or of its next
            // round); else `b` does (the sweep of its next round).
            if (restart) await a.restart();
            const end = await followed.until((s) => s.phase === "destroyed", 90_000);
            expect(end).toMatchObject({
              id,
              phase: "destroyed",
              message: expect.stringMatching(/expired/),
            });
            // `destroyed` only once nothing of it runs.
            expect(await platform.leftOf(setup, id)).toEqual([]);
            expect(await listed()).toEqual([]);
            const gone = await fetch(ready.access!.url).then(
              (res) => res.arrayBuffer().then(() => res.status),
              () => "refused",
            );
            expect(gone).toBe("refused");
            // No error reached the follower, however often its connection moved between replicas.
            expect(followed.errors).toEqual([]);
            for (const replica of [a, b]) {
              expect(replica.output()).not.toMatch(/reaping failed|expired instance not destroyed/);
            }
          } finally {
            c.close();
          }
        },
        150_000,
      );
    }
  }
});
