import { readTree, startServer } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import { basicAuth, follow, makeClient, within } from "./client.ts";
import { strictlyIncreasing } from "./harness.ts";
import { appsWithSecret } from "./instances.ts";

describe("restarts and replicas", () => {
  for (const signal of ["SIGKILL", "SIGTERM"] as const) {
    it(`resumes by itself after the server is stopped with ${signal} mid-launch and started again`, async () => {
      const server = await startServer({ env: { LAUNCHER_FIXTURES: "1" } });
      const c = makeClient(server.url);
      try {
        const { ticket } = await c.client.launch.prepare.mutate({ template: "scratchpad-slow" });
        const f = follow(c.client, { ticket });
        await f.until((s) => s.phase === "creating" || s.phase === "starting");
        await server.kill(signal);
        await server.restart();
        const ready = await within(f.done, 40_000);
        expect(ready.phase).toBe("ready");
        expect(f.errors).toEqual([]);
        expect(strictlyIncreasing(f.snapshots.map((s) => s.version))).toBe(true);
        expect(new Set(f.ids).size).toBe(f.ids.length);
        const password = ready.access!.credentials.password!;
        expect(await appsWithSecret(password)).toHaveLength(1);
        expect((await fetch(ready.access!.url, { headers: basicAuth(password) })).status).toBe(200);
        for (const file of await readTree(server.stateDir))
          expect(file.text).not.toContain(password);
        expect(server.output()).not.toContain(password);
      } finally {
        c.close();
        await server.dispose();
      }
    });
  }

  it("leaves instances running when the server's whole process group is killed", async () => {
    const server = await startServer({ processGroup: true });
    const c = makeClient(server.url);
    try {
      const { ticket } = await c.client.launch.prepare.mutate({ template: "scratchpad" });
      const ready = await within(follow(c.client, { ticket }).done);
      const password = ready.access!.credentials.password!;
      await server.kill("SIGKILL");
      expect(await appsWithSecret(password)).toHaveLength(1);
      expect((await fetch(ready.access!.url, { headers: basicAuth(password) })).status).toBe(200);
    } finally {
      c.close();
      await server.dispose();
    }
  });

  it("starts one instance when two servers sharing a state dir ensure the same ticket at once", async () => {
    const a = await startServer();
    const b = await startServer({ stateDir: a.stateDir, keys: a.keys });
    const ca = makeClient(a.url);
    const cb = makeClient(b.url);
    try {
      const { ticket } = await ca.client.launch.prepare.mutate({ template: "scratchpad" });
      const [ra, rb] = await within(
        Promise.all([follow(ca.client, { ticket }).done, follow(cb.client, { ticket }).done]),
      );
      expect(ra.phase).toBe("ready");
      expect(rb.access).toEqual(ra.access);
      expect(await appsWithSecret(ra.access!.credentials.password!)).toHaveLength(1);
    } finally {
      ca.close();
      cb.close();
      await b.kill();
      await a.dispose();
      await b.dispose();
    }
  });
});
