import { startServer } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import { basicAuth, follow, makeClient, within } from "./client.ts";
import { docker, engineUp } from "./engine.ts";

// The docker driver through the whole server, on the real engine that scripts/engine.sh
// starts (CI runs it). Skipped only when no engine answers.

const containersOf = async (id: string) =>
  docker.listContainers({ all: true, filters: { label: [`launcher.id=${id}`] } });

describe.skipIf(!engineUp)("a docker launch through the server", () => {
  it("resumes across a kill -9 of the server, with one container, then destroys it", async () => {
    const server = await startServer();
    const c = makeClient(server.url);
    try {
      const { ticket, id } = await c.client.launch.prepare.mutate({
        template: "scratchpad",
        driver: "docker",
      });
      const f = follow(c.client, { ticket });
      await f.until((s) => s.phase !== "preparing");
      await server.kill("SIGKILL");
      await server.restart();
      const ready = await within(f.done, 60_000);
      expect(ready.phase).toBe("ready");
      expect(ready.driver).toBe("docker");
      const password = ready.access!.credentials.password!;
      expect((await fetch(ready.access!.url, { headers: basicAuth(password) })).status).toBe(200);
      expect((await fetch(ready.access!.url, { headers: basicAuth("wrong") })).status).toBe(401);
      expect(await containersOf(id)).toHaveLength(1);
      expect(server.output()).not.toContain(password);
      await c.client.launch.destroy.mutate({ ticket });
      expect(await containersOf(id)).toHaveLength(0);
      const after = follow(c.client, { ticket, lastEventId: String(ready.version) });
      expect((await within(after.done)).phase).toBe("destroyed");
    } finally {
      c.close();
      await server.dispose();
    }
  });
});
