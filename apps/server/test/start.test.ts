import { mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { instanceMonitorPids, startServer } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import { follow, makeClient, within } from "./client.ts";
import { waitFor } from "./harness.ts";

const RECORDER = resolve(import.meta.dirname, "fixtures/record-imports.mjs");
const DRIVER_LIBRARIES = /^(dockerode|@kubernetes\/client-node)$/m;

describe("server start", () => {
  it("loads no driver library at start, and a driver's when that driver is first used", async () => {
    const dir = await mkdtemp(join(tmpdir(), "launcher-imports-"));
    const record = join(dir, "imports.txt");
    try {
      await using server = await startServer({
        env: { NODE_OPTIONS: `--import=${RECORDER}`, RECORD_IMPORTS: record },
      });
      const atStart = await readFile(record, "utf8");
      expect(atStart).toContain("main.js"); // the recorder works
      expect(atStart).not.toMatch(DRIVER_LIBRARIES);
      // Listing templates asks every driver whether it can run here: docker's loads dockerode.
      expect((await fetch(`${server.url}/trpc/templates.list`)).status).toBe(200);
      await waitFor(
        async () => /^dockerode$/m.test(await readFile(record, "utf8")),
        "the docker driver to load dockerode",
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("launches Scratchpad with the default state dir, relative to where it was started (pnpm start)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "launcher-defaults-"));
    // Started through a symlink, the server runs in the real folder (regression: the test
    // harness looked for its instances' monitors under the symlink's path, and left them).
    const link = `${dir}-link`;
    await symlink(dir, link);
    try {
      const server = await startServer({ cwd: link });
      const { client, close } = makeClient(server.url);
      try {
        const { ticket } = await client.launch.prepare.mutate({ template: "scratchpad" });
        const last = await within(follow(client, { ticket }).done);
        expect(last?.phase).toBe("ready");
        expect((await stat(join(dir, ".launcher", "instances"))).isDirectory()).toBe(true);
        expect(await instanceMonitorPids(join(dir, ".launcher"))).toHaveLength(1);
      } finally {
        close();
        await server.dispose();
      }
      const monitors = () => instanceMonitorPids(join(dir, ".launcher"));
      await waitFor(async () => (await monitors()).length === 0, "its instance to be killed");
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(link, { force: true });
    }
  });

  it("refuses a templates file with a bad placeholder at start, naming the template and field", async () => {
    const dir = await mkdtemp(join(tmpdir(), "launcher-templates-"));
    try {
      const file = join(dir, "templates.json");
      const template = {
        id: "notes",
        name: "Notes",
        description: "A notes app",
        secrets: [{ name: "password", env: "NOTES_PASSWORD" }],
        drivers: { local: { command: ["{node}", "{notes}"], healthPath: "/" } },
      };
      await writeFile(file, JSON.stringify([template]));
      const failure = await startServer({ env: { LAUNCHER_TEMPLATES: file } }).then(
        async (server) => {
          await server.dispose();
          return "";
        },
        (error: Error) => error.message,
      );
      expect(failure).toMatch(/exited \(1\) before listening/);
      expect(failure).toContain(
        'template "notes", drivers.local.command.1: unknown placeholder {notes}',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
