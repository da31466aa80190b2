// Lifetimes after a crash: a replica reaping an expired instance is killed with SIGKILL in the
// middle of its teardown (the instance's app ignores SIGTERM, so the teardown waits out its
// grace), and the launcher still ends the instance, tells its follower it expired, and leaves
// nothing running. Two real replicas behind nginx, one state dir: the local driver's platform.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, startServer } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import { follow, makeClient, within } from "./client.ts";
import { instanceProcesses, waitFor } from "./harness.ts";
import { freePort, NGINX, startNginx } from "./nginx.ts";

/** An app that answers every path and ignores SIGTERM: its teardown lasts the whole grace. */
const STUBBORN = {
  id: "stubborn",
  name: "Stubborn",
  description: "Ignores SIGTERM. For tests only.",
  ttl: 3,
  drivers: {
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
};

/**
 * Two replicas: `a` reaps every second, `b` every `bReapsEvery` seconds (3600: not within the
 * test, so the reaping is `a`'s and `b` only serves followers meanwhile).
 */
async function startReapers(bReapsEvery: number) {
  const dir = await mkdtemp(join(tmpdir(), "launcher-reap-kill-"));
  const templates = join(dir, "templates.json");
  await writeFile(templates, JSON.stringify([STUBBORN]));
  const lbPort = await freePort();
  const env = {
    LAUNCHER_TEMPLATES: templates,
    LAUNCHER_TRUST_PROXY: "1",
    LAUNCHER_ALLOWED_ORIGINS: `http://127.0.0.1:${lbPort}`,
  };
  const a = await startServer({ env: { ...env, LAUNCHER_REAP_INTERVAL: "1" } });
  const b = await startServer({
    stateDir: a.stateDir,
    keys: a.keys,
    env: { ...env, LAUNCHER_REAP_INTERVAL: String(bReapsEvery) },
  });
  const lb = await startNginx([a.port, b.port], lbPort);
  return {
    a,
    b,
    lb,
    /** The live processes of instance `id`, whichever replica started them. */
    async processesOf(id: string) {
      const found = [
        ...(await instanceProcesses(a.stateDir, a.workDir)),
        ...(await instanceProcesses(a.stateDir, b.workDir)),
      ];
      return found.filter((p) => p.id === id);
    },
    async [Symbol.asyncDispose]() {
      await lb.stop();
      await b.kill();
      await a.dispose();
      await b.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const CASES = [
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
  for (const { name, bReapsEvery, restart } of CASES) {
    it(`${name}: nothing of the instance runs, its follower ends destroyed, told it expired`, async () => {
      await using setup = await startReapers(bReapsEvery);
      const { a, b, lb } = setup;
      const c = makeClient(lb.url, { origin: lb.url });
      try {
        const { id, ticket } = await c.client.launch.prepare.mutate({ template: "stubborn" });
        const ready = await within(follow(c.client, { ticket }).done);
        expect(ready.phase).toBe("ready");
        const listed = async () => (await c.client.instances.list.query({})).instances;
        expect(await listed()).toMatchObject([{ id, expiresAt: ready.createdAt + 3000 }]);

        // Reaped: the tombstone is written and the teardown waits for the app to stop.
        await waitFor(
          async () => (await listed()).some((i) => i.phase === "destroying"),
          "the reaper to begin",
        );
        // Its holder follows it again (a reload, say): the follow stays open until it ends.
        const followed = follow(c.client, { ticket });
        await followed.until((s) => s.phase === "destroying");
        expect((await setup.processesOf(id)).map((p) => p.kind)).toContain("app");
        await a.kill("SIGKILL");
        // Cut short: the app still runs, and the other replica says it is being destroyed.
        expect((await setup.processesOf(id)).map((p) => p.kind)).toContain("app");
        expect(await listed()).toMatchObject([{ id, phase: "destroying" }]);

        // Started again, `a` finishes the teardown (its sweep, right after the start); else `b`
        // does (the sweep of its next round).
        if (restart) await a.restart();
        const end = await followed.until((s) => s.phase === "destroyed", 60_000);
        expect(end).toMatchObject({
          id,
          phase: "destroyed",
          message: expect.stringMatching(/expired/),
        });
        // `destroyed` only once nothing of it runs.
        expect(await setup.processesOf(id)).toEqual([]);
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
    }, 120_000);
  }
});
