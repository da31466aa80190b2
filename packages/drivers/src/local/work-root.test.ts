import { chmod, chown, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import { DriverError } from "../driver.ts";
import { createLocalDriver } from "./local-driver.ts";
import * as kit from "./local-test-kit.ts";
import { defaultWorkRoot } from "./work-root.ts";

const { fixtureTemplate, newId, password, scratchpad, specOf, until, useLocalState } = kit;

const local = useLocalState();
const never = new AbortController().signal;

describe("local instances' own folders", () => {
  it("default to a private folder beside the state dir, not the shared temp dir", async () => {
    // Regression: they defaulted to $TMPDIR/launcher-instances, which any local user could
    // create first (and then swap an instance's folder, or read the token files in it).
    const stateDir = await mkdtemp(join(tmpdir(), "launcher-default-root-"));
    const root = `${stateDir}-instances`;
    try {
      const driver = createLocalDriver({ stateDir, vars: { scratchpad } });
      const id = newId();
      await driver.ensure(specOf(id), { SCRATCHPAD_PASSWORD: password }, never);
      expect((await stat(join(root, id))).isDirectory()).toBe(true);
      expect((await stat(root)).mode & 0o777).toBe(0o700);
      await driver.destroy(id);
    } finally {
      await rm(stateDir, { recursive: true, force: true });
      await rm(root, { recursive: true, force: true });
    }
  });

  it("fall back to this user's own folder in the temp dir beside an unwritable state dir", () => {
    // The container image keeps its state in /var/lib/launcher, whose parent only root writes.
    const root = defaultWorkRoot("/var/lib/launcher", () => false);
    expect(root).toBe(join(tmpdir(), `launcher-instances-${process.getuid!()}`));
    expect(defaultWorkRoot("/srv/launcher", () => true)).toBe("/srv/launcher-instances");
  });

  it("fall back to the temp dir for instances run as their own uids, when those could not reach the sibling", () => {
    // A state dir under /root (0700): the instances' uids could not pass through to theirs.
    const fallback = join(tmpdir(), `launcher-instances-${process.getuid!()}`);
    const yes = () => true;
    expect(defaultWorkRoot("/root/app/.launcher", yes, true, () => false)).toBe(fallback);
    expect(defaultWorkRoot("/srv/launcher", yes, true, yes)).toBe("/srv/launcher-instances");
    expect(defaultWorkRoot("/root/app/.launcher", yes, false, () => false)).toBe(
      "/root/app/.launcher-instances",
    );
  });

  it("refuse a root that others may write, or that belongs to another user", async () => {
    const root = await mkdtemp(join(tmpdir(), "launcher-open-root-"));
    try {
      await chmod(root, 0o777);
      const driver = local.makeDriver({ workRoot: root });
      const available = await driver.available();
      expect(available).toEqual({
        available: false,
        reason: expect.stringMatching(/writable by others \(mode 0777\)/),
      });
      expect((await driver.availableFor(fixtureTemplate())).available).toBe(false);
      const id = newId();
      const refused = await driver.ensure(specOf(id), {}, never).catch((error) => error);
      expect(refused).toBeInstanceOf(DriverError);
      expect(refused.code).toBe("unavailable");
      expect(await local.leftovers(id)).toEqual([]);

      await chmod(root, 0o700);
      if (process.getuid?.() === 0) {
        await chown(root, 12345, 12345);
        const other = local.makeDriver({ workRoot: root });
        expect(await other.available()).toEqual({
          available: false,
          reason: expect.stringMatching(/belongs to another user/),
        });
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe("the local instance log", () => {
  it("keeps its tail past its size cap, and says it was cut", async () => {
    // Regression: the log grew without bound.
    const driver = local.makeDriver({ logMaxBytes: 64 * 1024 });
    const id = newId();
    await driver.ensure(specOf(id, fixtureTemplate("--spam", String(512 * 1024))), {}, never);
    const { last, seen } = await until(driver, id, ["ready", "failed"]);
    expect(last.phase).toBe("ready");
    const log = join(local.recordOf(id), "log");
    await waitFor(async () => (await readFile(log, "utf8")).includes("spam done"), "the output");
    const text = await readFile(log, "utf8");
    expect(text.length).toBeLessThanOrEqual(2 * 64 * 1024);
    expect(text).toMatch(/^\[launcher: the log was cut here; \d+ earlier bytes were dropped\]\n/);
    expect(text).toContain("line 8191");
    const versions = seen.map((o) => o.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    await driver.destroy(id);
  });
});
