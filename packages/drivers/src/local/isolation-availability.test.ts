// Which templates an isolating local driver offers, and why not: real folders and modes, as root.
import {
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readdir,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { newInstanceSpec } from "../driver-fixtures.ts";
import { TemplateSchema } from "../template.ts";
import { bundledTemplates } from "../templates/index.ts";
import { accountInRange, SETPRIV, setprivMissing, unmappedReason } from "./isolation.ts";
import * as kit from "./isolation-test-kit.ts";
import { createLocalDriver } from "./local-driver.ts";
import { hasJupyter, password, scratchpad, until, useLocalState } from "./local-test-kit.ts";
import { unreachableReason } from "./reach.ts";

const { skipIsolation, testRange } = kit;
const range = testRange();
const local = useLocalState();
kit.killRangeAfterAll(range);

/** A template running a script file at `path` with the launcher's node. */
const scriptTemplate = (path: string) =>
  TemplateSchema.parse({
    id: "script",
    name: "Script",
    description: "",
    drivers: { local: { command: ["{node}", path, "{port}"], healthPath: "/" } },
  });

const title = skipIsolation
  ? `an isolating local driver's offer (skipped: ${kit.SKIP_REASON})`
  : "an isolating local driver's offer";

describe.skipIf(skipIsolation)(title, () => {
  it("refuses a template whose files an unprivileged uid cannot reach, and says which folder is closed", async () => {
    // As a checkout under /root (mode 0700) would be in CI.
    const closed = await mkdtemp(join(tmpdir(), "launcher-closed-"));
    try {
      await writeFile(join(closed, "app.js"), "", { mode: 0o644 });
      await chmod(closed, 0o700);
      const driver = local.makeDriver({ uids: range });
      expect(await driver.available()).toMatchObject({ available: true });
      const refused = await driver.availableFor(scriptTemplate(join(closed, "app.js")));
      expect(refused).toEqual({
        available: false,
        reason: `Script cannot run as an instance's own uid here: ${closed} (mode 0700) is closed to the instances' users`,
      });
      await chmod(closed, 0o755);
      await chmod(join(closed, "app.js"), 0o600);
      const unreadable = await driver.availableFor(scriptTemplate(join(closed, "app.js")));
      expect(unreadable.available ? "" : unreadable.reason).toMatch(/mode 0600\) is not readable/);
      await chmod(join(closed, "app.js"), 0o644);
      expect(await driver.availableFor(scriptTemplate(join(closed, "app.js")))).toEqual({
        available: true,
      });
      // The inline probe needs only the launcher's node, which every uid may run here.
      expect(await driver.availableFor(kit.probeTemplate)).toEqual({ available: true });
    } finally {
      await rm(closed, { recursive: true, force: true });
    }
  });

  it("runs Scratchpad as an instance's own uid where the checkout is open to it, and says why not where it is not", async () => {
    const driver = local.makeDriver({ uids: range });
    const template = bundledTemplates().find((t) => t.id === "scratchpad")!;
    const offer = await driver.availableFor(template);
    const closed = await unreachableReason(scratchpad, range.first, range.first, "read");
    if (closed) {
      // A checkout under /root (CI may clone there): unavailable, and why.
      expect(offer).toEqual({
        available: false,
        reason: `Scratchpad cannot run as an instance's own uid here: ${closed}`,
      });
      return;
    }
    expect(offer).toEqual({ available: true });
    const spec = newInstanceSpec(template);
    await driver.ensure(spec, { SCRATCHPAD_PASSWORD: password }, kit.never);
    const { last } = await until(driver, spec.id, ["ready", "failed"]);
    expect(last.phase, last.logTail.join("\n")).toBe("ready");
    const auth = { authorization: `Basic ${btoa(`u:${password}`)}` };
    expect((await fetch(last.url!, { headers: auth })).status).toBe(200);
    expect((await stat(join(local.workRoot, spec.id))).uid).toBeGreaterThanOrEqual(range.first);
    await driver.destroy(spec.id);
  });

  it("opens its work root to the uids only to pass through (0711) when it starts one, and refuses one they cannot reach", async () => {
    const driver = local.makeDriver({ uids: range });
    await chmod(local.workRoot, 0o700);
    expect(await driver.available()).toMatchObject({ available: true });
    // The check only looks (regression: it made the folder 0711 and the state dir on each call).
    expect((await stat(local.workRoot)).mode & 0o777).toBe(0o700);
    const probe = await kit.launchProbe(driver);
    expect((await stat(local.workRoot)).mode & 0o777).toBe(0o711);
    await driver.destroy(probe.id);

    const closed = await mkdtemp(join(tmpdir(), "launcher-closed-root-"));
    try {
      const workRoot = join(closed, "instances");
      await chmod(closed, 0o700);
      const blocked = local.makeDriver({ uids: range, workRoot });
      const answer = await blocked.available();
      expect(answer.available ? "" : answer.reason).toBe(
        `The local instances' folder ${workRoot} is out of reach of their uids: ${closed} (mode 0700) is closed to the instances' users; choose a work dir under open folders`,
      );
      const spec = newInstanceSpec(kit.probeTemplate);
      await expect(blocked.ensure(spec, {}, kit.never)).rejects.toMatchObject({
        code: "unavailable",
      });
    } finally {
      await rm(closed, { recursive: true, force: true });
    }
  });

  it("refuses a work root reached through a symlink in a folder the uids cannot enter", async () => {
    // Regression: only the folders above the work root's real path were looked at: a work dir
    // given as /root/work, a symlink to an open folder, passed, and each app, handed paths
    // under /root/work (its HOME, its TMPDIR), could not use them.
    const closed = await mkdtemp(join(tmpdir(), "launcher-closed-link-"));
    const open = await mkdtemp(join(tmpdir(), "launcher-open-target-"));
    try {
      await chmod(open, 0o755);
      await chmod(closed, 0o700);
      const workRoot = join(closed, "work");
      await symlink(open, workRoot);
      const answer = await local.makeDriver({ uids: range, workRoot }).available();
      expect(answer.available ? "" : answer.reason).toBe(
        `The local instances' folder ${workRoot} is out of reach of their uids: ${closed} (mode 0700) is closed to the instances' users; choose a work dir under open folders`,
      );
    } finally {
      await rm(closed, { recursive: true, force: true });
      await rm(open, { recursive: true, force: true });
    }
  });

  it("checks a state dir not made yet without making it", async () => {
    // Regression: the check made the state dir (and changed the work root's mode) each call.
    const top = await mkdtemp(join(tmpdir(), "launcher-later-state-"));
    try {
      const stateDir = join(top, "state");
      const driver = createLocalDriver({ stateDir, workRoot: local.workRoot, uids: range });
      expect(await driver.available()).toMatchObject({ available: true });
      expect(await readdir(top)).toEqual([]);
    } finally {
      await rm(top, { recursive: true, force: true });
    }
  });

  it("keeps a failed check for a while, as it keeps a passing one", async () => {
    // Regression: a failed check was not kept: every call (each page load) checked again.
    const stateDir = await mkdtemp(join(tmpdir(), "launcher-open-state-"));
    try {
      await chmod(stateDir, 0o755);
      const make = () => createLocalDriver({ stateDir, workRoot: local.workRoot, uids: range });
      const driver = make();
      const refused = {
        available: false,
        reason: `The state dir ${stateDir} (mode 0755) is open to the instances' uids; make it 0700`,
      };
      expect(await driver.available()).toEqual(refused);
      await chmod(stateDir, 0o700);
      expect(await driver.available()).toEqual(refused);
      expect(await make().available()).toMatchObject({ available: true }); // a new one checks
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it("refuses a state dir the instances' uids could read", async () => {
    const stateDir = await mkdtemp(join(tmpdir(), "launcher-open-state-"));
    try {
      await chmod(stateDir, 0o755);
      const driver = createLocalDriver({ stateDir, workRoot: local.workRoot, uids: range });
      const answer = await driver.available();
      expect(answer.available ? "" : answer.reason).toBe(
        `The state dir ${stateDir} (mode 0755) is open to the instances' uids; make it 0700`,
      );
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it("refuses a range that holds a user's or a group's id, naming it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "launcher-accounts-"));
    try {
      const files = { passwd: join(dir, "passwd"), group: join(dir, "group") };
      await writeFile(
        files.passwd,
        "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n",
      );
      await writeFile(files.group, "root:x:0:\nstaff:x:50:\n");
      expect(await accountInRange({ first: 2000, last: 2999 }, files)).toBeUndefined();
      expect(await accountInRange({ first: 900, last: 1000 }, files)).toBe(
        `user alice (1000) of ${files.passwd}`,
      );
      expect(await accountInRange({ first: 40, last: 60 }, files)).toBe(
        `group staff (50) of ${files.group}`,
      );
      // This machine's own accounts: root's group (0) is never in a range; uid 1 is (daemon).
      const driver = local.makeDriver({ uids: { first: 1, last: 99 } });
      const answer = await driver.available();
      const own = await accountInRange({ first: 1, last: 99 });
      if (own) {
        expect(answer.available ? "" : answer.reason).toBe(
          `The uid range 1-99 holds the ${own}: give instances uids no user or group has`,
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a range this user namespace does not map", async () => {
    // This machine maps the test's range (or the other tests here could not run).
    expect(await unmappedReason(range)).toBeUndefined();
    // A container mapping ids 0-65535 only, and gids 0-999.
    const maps: Record<string, string> = {
      "/proc/self/uid_map": "         0     100000      65536\n",
      "/proc/self/gid_map": "0 100000 1000\n",
    };
    const read = async (path: string) => maps[path]!;
    expect(await unmappedReason({ first: 60_000, last: 70_000 }, read)).toBe(
      "60000-70000 are not all mapped in /proc/self/uid_map",
    );
    expect(await unmappedReason({ first: 2000, last: 2999 }, read)).toBe(
      "2000-2999 are not all mapped in /proc/self/gid_map",
    );
    expect(await unmappedReason({ first: 100, last: 999 }, read)).toBeUndefined();
  });

  it("needs setpriv, to start instances with no_new_privs, and says so when it is missing", async () => {
    expect(await setprivMissing()).toBeUndefined(); // here (and in CI) it is installed
    expect(await setprivMissing("/nonexistent/setpriv")).toBe(
      "Running local instances as their own uids needs /nonexistent/setpriv (util-linux's setpriv, to start them with no_new_privs); install util-linux",
    );
    expect(SETPRIV).toBe("/usr/bin/setpriv");
  });

  it("refuses a bad range when it is made", () => {
    const make = (first: number, last: number) => () =>
      createLocalDriver({ stateDir: local.stateDir, uids: { first, last } });
    expect(make(0, 10)).toThrow(/need 1 <= first <= last/);
    expect(make(20, 10)).toThrow(/need 1 <= first <= last/);
    expect(make(1, 4_294_967_295)).toThrow(/past 4294967294/);
  });
});

describe.skipIf(skipIsolation)("what an unprivileged uid can reach", () => {
  it("follows the modes of every folder on the real path, and the file's own", async () => {
    const top = await mkdtemp(join(tmpdir(), "launcher-reach-"));
    try {
      await mkdir(join(top, "a"), { mode: 0o755 });
      await writeFile(join(top, "a", "run"), "", { mode: 0o755 });
      await chmod(top, 0o755);
      const uid = range.first;
      expect(await unreachableReason(join(top, "a", "run"), uid, uid, "run")).toBeUndefined();
      await chmod(join(top, "a"), 0o750);
      expect(await unreachableReason(join(top, "a", "run"), uid, uid, "run")).toBe(
        `${join(top, "a")} (mode 0750) is closed to the instances' users`,
      );
      // Its group is let through by the group's bits.
      await chown(join(top, "a"), 0, uid);
      expect(await unreachableReason(join(top, "a", "run"), uid, uid, "run")).toBeUndefined();
      expect(await unreachableReason(join(top, "missing"), uid, uid, "read")).toBe(
        `${join(top, "missing")} does not exist`,
      );
    } finally {
      await rm(top, { recursive: true, force: true });
    }
  });
});

describe.skipIf(skipIsolation || !hasJupyter)("jupyter as an instance's own uid", () => {
  it("starts with its home in the work dir, every file it writes its uid's", async () => {
    const template = bundledTemplates().find((t) => t.id === "jupyter")!;
    const driver = local.makeDriver({ uids: range, pollMs: 100 });
    expect(await driver.availableFor(template)).toEqual({ available: true });
    const spec = newInstanceSpec(template);
    const token = "jupyterTokenForTheIsolationTest_0123";
    await driver.ensure(spec, { JUPYTER_TOKEN: token }, kit.never);
    const { last } = await until(driver, spec.id, ["ready", "failed"], 60_000);
    expect(last.phase, last.logTail.join("\n")).toBe("ready");
    const contents = await fetch(`${last.url}api/contents`, {
      headers: { authorization: `token ${token}` },
    });
    expect(contents.status).toBe(200);
    const workDir = join(local.workRoot, spec.id);
    const owner = (await stat(workDir)).uid;
    expect(owner).toBeGreaterThanOrEqual(range.first);
    expect(owner).toBeLessThanOrEqual(range.last);
    const files = await readdir(workDir, { recursive: true });
    // Jupyter wrote its own files (its server info in its runtime dir), all as its uid.
    expect(files.filter((file) => file.startsWith("runtime/")).length).toBeGreaterThan(0);
    for (const file of files) expect((await stat(join(workDir, file))).uid, file).toBe(owner);
    await driver.destroy(spec.id);
    expect(await kit.processesIn(range)).toEqual([]);
  }, 90_000);
});
