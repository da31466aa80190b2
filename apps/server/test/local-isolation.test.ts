// The local driver with sign-in on (LAUNCHER_AUTH=header): it offers templates only when it
// runs each instance as its own uid (root, LAUNCHER_LOCAL_UIDS), and says why not otherwise.
// A real server, real users' launches, real uids: as root (CI runs as root).
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type TestServer, waitFor } from "@launcher/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeTemplateInput } from "../../../packages/drivers/src/local/fixtures/probe-app.ts";
import { follow, makeClient, within } from "./client.ts";
import { call } from "./peer.ts";

const isRoot = process.getuid?.() === 0;
const inCi = !!process.env.CI && process.env.CI !== "false" && process.env.CI !== "0";
const skip = !isRoot && !inCi;
const title = skip
  ? "the local driver for many users (skipped: not root and not CI; isolation needs root)"
  : "the local driver for many users";

const first = 400_000 + Math.floor(Math.random() * 1000) * 1000;
const range = `${first}-${first + 999}`;
const as = (user: string) => ({ "x-forwarded-user": user });
let templatesDir = "";
const servers: TestServer[] = [];

async function headerServer(extra: Record<string, string>): Promise<TestServer> {
  const server = await startServer({
    env: {
      LAUNCHER_AUTH: "header",
      LAUNCHER_TRUSTED_PROXIES: "127.0.0.1",
      LAUNCHER_DRIVERS: "local",
      LAUNCHER_TEMPLATES: join(templatesDir, "templates.json"),
      LAUNCHER_DEFAULT_TEMPLATE: "probe",
      ...extra,
    },
  });
  servers.push(server);
  return server;
}

beforeAll(async () => {
  templatesDir = await mkdtemp(join(tmpdir(), "launcher-isolation-templates-"));
  await writeFile(join(templatesDir, "templates.json"), JSON.stringify([probeTemplateInput()]));
});
afterAll(async () => {
  for (const server of servers) await server.dispose();
  await rm(templatesDir, { recursive: true, force: true });
});

interface ListedTemplate {
  id: string;
  drivers: { driver: string; available: boolean; reason?: string }[];
}
async function localOffer(server: TestServer) {
  const list = await call(server.url, "templates.list", { headers: as("alice") });
  const templates = (list.data as { templates: ListedTemplate[] }).templates;
  return templates.find((t) => t.id === "probe")?.drivers.find((d) => d.driver === "local");
}

interface Whoami {
  uid: number;
  pid: number;
  home: string;
}
const ask = async <T>(url: string, path: string) =>
  (await (await fetch(new URL(path, url))).json()) as T;

/** `user` prepares and follows a probe launch to ready; returns its ticket, id, url and uid. */
async function launchAs(server: TestServer, user: string) {
  const prepared = await call(server.url, "launch.prepare", {
    headers: as(user),
    input: { template: "probe" },
  });
  expect(prepared.error).toBeUndefined();
  const { ticket, id } = prepared.data as { ticket: string; id: string };
  const c = makeClient(server.url, { headers: as(user) });
  try {
    const ready = await within(follow(c.client, { ticket }).done);
    expect(ready.phase, ready.error).toBe("ready");
    const url = ready.access!.url;
    return { ticket, id, url, who: await ask<Whoami>(url, "/whoami") };
  } finally {
    c.close();
  }
}

describe.skipIf(skip)(title, () => {
  it("with LAUNCHER_LOCAL_UIDS as root: offers the template, and each user's instance runs as its own uid, out of reach of the launcher and of the other", async () => {
    const server = await headerServer({ LAUNCHER_LOCAL_UIDS: range });
    expect(await localOffer(server)).toEqual({ driver: "local", available: true });

    const [alice, bob] = await Promise.all([launchAs(server, "alice"), launchAs(server, "bob")]);
    for (const { who } of [alice, bob]) {
      expect(who.uid).toBeGreaterThanOrEqual(first);
      expect(who.uid).toBeLessThanOrEqual(first + 999);
    }
    expect(alice.who.uid).not.toBe(bob.who.uid);

    // Bob's instance tries the launcher's state dir and environment (its keyring) and Alice's.
    const query = new URLSearchParams([
      ["list", server.stateDir],
      ["environ", String(server.pid)],
      ["list", alice.who.home],
      ["environ", String(alice.who.pid)],
      ["signal", String(alice.who.pid)],
    ]);
    const outcomes = await ask<Record<string, string>>(bob.url, `/try?${query}`);
    expect(Object.keys(outcomes)).toHaveLength(5);
    for (const [what, outcome] of Object.entries(outcomes)) {
      expect(["EACCES", "EPERM"], what).toContain(outcome);
    }

    // Alice destroys hers (by id, no ticket): nothing runs as its uid, which is free again.
    const destroyed = await call(server.url, "instances.destroy", {
      headers: as("alice"),
      input: { id: alice.id },
    });
    expect(destroyed.error).toBeUndefined();
    const reservation = join(server.stateDir, "uids", String(alice.who.uid));
    expect(existsSync(reservation)).toBe(false);
    expect(existsSync(join(server.workDir, alice.id))).toBe(false);
    const uidOf = (pid: string) =>
      readFile(`/proc/${pid}/status`, "utf8").then(
        (status) => Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]),
        () => undefined,
      );
    const asAlice = async () => {
      const pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
      return (await Promise.all(pids.map(uidOf))).filter((uid) => uid === alice.who.uid);
    };
    await waitFor(async () => (await asAlice()).length === 0, "alice's uid to be unused");
    expect(await readFile(join(server.stateDir, "uids", String(bob.who.uid)), "utf8")).toBe(bob.id);

    const bobs = await call(server.url, "instances.destroy", {
      headers: as("bob"),
      input: { id: bob.id },
    });
    expect(bobs.error).toBeUndefined();
    expect(await readdir(join(server.stateDir, "uids"))).toEqual([]);
  });

  it("without LAUNCHER_LOCAL_UIDS: offers nothing, says why in templates.list, and refuses the launch with it", async () => {
    const server = await headerServer({});
    const offer = await localOffer(server);
    const why =
      "With sign-in on, the local driver cannot keep users apart unless it runs each instance as its own uid: run the launcher as root with LAUNCHER_LOCAL_UIDS set to a range of unused uids (e.g. 200000-200999), or use docker, kubernetes or fly, or set LAUNCHER_LOCAL_SHARED_USER=1 where all users are trusted";
    expect(offer).toEqual({ driver: "local", available: false, reason: why });
    const refused = await call(server.url, "launch.prepare", {
      headers: as("alice"),
      input: { template: "probe" },
    });
    expect(refused.error?.data.code).toBe("PRECONDITION_FAILED");
    expect(refused.error?.message).toBe(why);
  });
});
