import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { makeTestKeys, waitFor } from "@launcher/testing";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basicAuth, follow, makeClient, within } from "./client.ts";
import { docker, engineUp } from "./engine.ts";
import { freePort } from "./free-port.ts";

// The launcher's own image (Dockerfile, scripts/image.sh) on the real engine that
// scripts/engine.sh starts (CI runs both). Skipped only when no engine answers.

const ROOT = resolve(import.meta.dirname, "../../..");
const IMAGE = "localhost/launcher:latest";

async function logsOf(container: Docker.Container): Promise<string> {
  const raw = await container.logs({ stdout: true, stderr: true });
  // Without a TTY each chunk has an 8-byte header (stream, length).
  let text = "";
  for (let at = 0; at + 8 <= raw.length; ) {
    const length = raw.readUInt32BE(at + 4);
    text += raw.subarray(at + 8, at + 8 + length).toString();
    at += 8 + length;
  }
  return text;
}

describe.skipIf(!engineUp)("the launcher's container image", () => {
  let container: Docker.Container;
  let url: string;

  beforeAll(async () => {
    const built = await promisify(execFile)("bash", ["scripts/image.sh"], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    // Only the image's name on stdout: `IMAGE=$(scripts/image.sh)` works.
    expect(built.stdout).toBe(`${IMAGE}\n`);

    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    container = await docker.createContainer({
      Image: IMAGE,
      Env: [`PORT=${port}`, "HOST=127.0.0.1", `LAUNCHER_KEYS=${makeTestKeys()}`],
      // The image's own health check, run every second rather than every 15 s.
      Healthcheck: { Interval: 1e9 },
      HostConfig: { NetworkMode: "host" },
      Labels: { "launcher.test": "image-docker" },
    });
    await container.start();
    await waitFor(
      async () => (await fetch(`${url}/health`).catch(() => undefined))?.ok === true,
      "the launcher in the container to answer",
      { timeoutMs: 30_000, everyMs: 200 },
    );
  }, 1_200_000);

  afterAll(async () => {
    await container?.remove({ force: true });
  });

  it("launches a Scratchpad inside whose password opens it, as a user that is not root, and reports healthy", async () => {
    const c = makeClient(url);
    try {
      const { ticket } = await c.client.launch.prepare.mutate({ template: "scratchpad" });
      const ready = await within(follow(c.client, { ticket }).done, 60_000);
      expect(ready.phase).toBe("ready");
      expect(ready.driver).toBe("local");
      const password = ready.access!.credentials.password!;
      const page = await fetch(ready.access!.url, {
        headers: basicAuth(password),
        redirect: "manual",
      });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("Scratchpad");
      expect((await fetch(ready.access!.url, { headers: basicAuth("wrong") })).status).toBe(401);

      // Every process in the container, the launcher and the instance's, runs as uid 1000.
      const info = await container.inspect();
      expect(info.Config.User).toBe("1000:1000");
      const top = await container.top({ ps_args: "-o pid,uid,args" });
      const processes: string[][] = top.Processes;
      const uids = processes.map((p) => p[1]);
      expect(processes.some((p) => p[2]?.includes("scratchpad"))).toBe(true);
      expect(new Set(uids)).toEqual(new Set(["1000"]));

      await waitFor(
        async () => (await container.inspect()).State.Health?.Status === "healthy",
        "the image's HEALTHCHECK to pass",
        { timeoutMs: 30_000, everyMs: 250 },
      );
      expect(await logsOf(container)).not.toContain(password);
    } finally {
      c.close();
    }
  });

  it("drains on SIGTERM as outside a container: clients are told to reconnect, and it exits 0 by itself", async () => {
    const c = makeClient(url);
    try {
      const { ticket } = await c.client.launch.prepare.mutate({ template: "scratchpad" });
      const f = follow(c.client, { ticket });
      await within(f.done, 60_000);
      expect(c.isOpen()).toBe(true);
      // `docker stop`: SIGTERM, then SIGKILL (exit 137) after 30 s unless it ended by itself.
      await container.stop({ t: 30 });
      const state = (await container.inspect()).State;
      expect(state.ExitCode).toBe(0);
      expect(state.OOMKilled).toBe(false);
      await waitFor(() => c.notifications.includes("reconnect"), "the reconnect notification");
      expect(await logsOf(container)).toContain('"signal":"SIGTERM"');
    } finally {
      c.close();
    }
  });
});
