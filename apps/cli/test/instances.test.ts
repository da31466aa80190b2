import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type TestServer } from "@launcher/testing";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./helpers.ts";

let xdg: string;
const ticketIds = async () =>
  (await readdir(join(xdg, "launcher")).catch(() => [] as string[]))
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.replace(".json", ""));

beforeEach(async () => {
  xdg = await mkdtemp(join(tmpdir(), "launcher-cli-xdg-"));
});
afterEach(async () => {
  await rm(xdg, { recursive: true, force: true });
});

describe("launcher instances and destroy by id", () => {
  let server: TestServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    server = await startServer();
  }, 30_000);
  afterAll(async () => {
    await server?.dispose();
  });
  beforeEach(() => {
    env = { XDG_STATE_HOME: xdg, LAUNCHER_URL: server.url };
  });

  it("lists a launched instance, as a table and as JSON lines", async () => {
    expect((await runCli(["launch", "scratchpad"], env)).code).toBe(0);
    const [id] = await ticketIds();

    const json = await runCli(["instances", "--json"], env);
    expect(json.code).toBe(0);
    const listed = json.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    const mine = listed.find((instance) => instance.id === id);
    expect(mine).toMatchObject({ id, owner: "local", template: "scratchpad", phase: "ready" });
    expect(mine.expiresAt).toBeGreaterThan(mine.createdAt);
    expect(JSON.stringify(listed)).not.toMatch(/ticket|password/);

    const table = await runCli(["instances"], env);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^ID\s+TEMPLATE\s+DRIVER\s+PHASE\s+CREATED \(UTC\)\s+EXPIRES \(UTC\)$/);
    const row = rows.find((line) => line.startsWith(id!.slice(0, 12)));
    expect(row).toMatch(/scratchpad\s+local\s+ready\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+\d{4}-/);
    expect(table.stdout).not.toContain(id); // the short id only

    // Without sign-in the one user is an admin: `--all` adds the owners.
    const all = await runCli(["instances", "--all"], env);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^ID\s+OWNER\s+TEMPLATE/);
    expect(all.stdout).toMatch(new RegExp(`${id!.slice(0, 12)}\\s+local\\s+scratchpad`));
  }, 60_000);

  it("destroys an instance by id without its ticket file, then it is gone", async () => {
    expect((await runCli(["launch", "scratchpad"], env)).code).toBe(0);
    const [id] = await ticketIds();
    // Another machine: no ticket kept there.
    const elsewhere = await mkdtemp(join(tmpdir(), "launcher-cli-xdg-"));
    try {
      const other = { ...env, XDG_STATE_HOME: elsewhere };
      const destroyed = await runCli(["destroy", id!, "--json"], other);
      expect(destroyed.code, destroyed.stderr).toBe(0);
      expect(JSON.parse(destroyed.stdout)).toEqual({ id, phase: "destroyed" });

      const listed = await runCli(["instances", "--json"], other);
      expect(listed.stdout).not.toContain(id);
      const again = await runCli(["destroy", id!], other);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain(`No instance ${id}`);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
    // The ticket kept here now follows to `destroyed` and is removed.
    expect((await runCli(["follow", id!], env)).code).toBe(1);
    expect(await ticketIds()).toEqual([]);
  }, 60_000);

  it("destroys by the short id `instances` shows; says so when no instance matches", async () => {
    expect((await runCli(["launch", "scratchpad"], env)).code).toBe(0);
    const [id] = await ticketIds();
    await runCli(["dismiss", id!], env);
    const destroyed = await runCli(["destroy", id!.slice(0, 12)], env);
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect(destroyed.stdout).toContain(`Destroyed ${id}`);

    const unknown = await runCli(["destroy", "ffffffffffff"], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^launcher: No launch ffffffffffff is kept here.*\n$/);
  }, 60_000);
});

describe("over quota", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      // Only this test's platform: a shared container engine holds other tests' instances,
      // of the same one user `local`, which would count against this quota.
      env: { LAUNCHER_DRIVERS: "local", LAUNCHER_MAX_INSTANCES_PER_USER: "1" },
    });
  }, 30_000);
  afterAll(async () => {
    await server?.dispose();
  });

  it("exits 7, explains, keeps the ticket; after a destroy, follow launches it", async () => {
    const env = { XDG_STATE_HOME: xdg, LAUNCHER_URL: server.url };
    expect((await runCli(["launch", "scratchpad"], env)).code).toBe(0);
    const [first] = await ticketIds();

    const refused = await runCli(["launch", "scratchpad"], env);
    expect(refused.code).toBe(7);
    expect(refused.stderr).toContain("Over quota: your limit is 1 instance and 1 is in use");
    expect(refused.stderr).toContain("launcher destroy ID");
    const second = (await ticketIds()).find((id) => id !== first);
    expect(second).toBeDefined();
    expect(refused.stderr).toContain(`launcher follow ${second}`);

    const followed = await runCli(["follow", second!], env);
    expect(followed.code).toBe(7);
    expect(await ticketIds()).toHaveLength(2);

    expect((await runCli(["destroy", first!], env)).code).toBe(0);
    const ready = await runCli(["follow", second!], env);
    expect(ready.code, ready.stderr).toBe(0);
    expect(ready.stdout).toContain("Ready: scratchpad");
  }, 90_000);
});
