// Each instance as its own uid (LAUNCHER_LOCAL_UIDS on the server): real processes, as root.
import { execFileSync } from "node:child_process";
import { constants, existsSync } from "node:fs";
import { chmod, mkdtemp, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import { newInstanceSpec } from "../driver-fixtures.ts";
import { TemplateSchema } from "../template.ts";
import * as kit from "./isolation-test-kit.ts";
import { killEveryProcessOf } from "./kill-uid.ts";
import { isAlive, until, useLocalState } from "./local-test-kit.ts";

const { ask, attempt, launchProbe, processesIn, skipIsolation, testRange, uidOf } = kit;

const range = testRange();
const local = useLocalState();
kit.killRangeAfterAll(range);
const makeDriver = () => local.makeDriver({ uids: range });
const reservation = (uid: number) => join(local.stateDir, "uids", String(uid));
const DENIED = ["EACCES", "EPERM"];
/** add_key(2) and request_key(2) by number, for Perl's `syscall`, where they are known here. */
const SYSCALLS = (
  { x64: { addKey: 248, requestKey: 249 }, arm64: { addKey: 217, requestKey: 218 } } as const
)[process.arch as "x64" | "arm64"];

const title = skipIsolation
  ? `isolated local instances (skipped: ${kit.SKIP_REASON})`
  : "isolated local instances";

describe.skipIf(skipIsolation)(title, () => {
  it("run as their own uids, in work dirs they own, out of reach of the launcher and of each other", async () => {
    const driver = makeDriver();
    // The launcher's keyring, as the server keeps it without LAUNCHER_KEYS.
    const keyring = join(local.stateDir, "dev-keys");
    await writeFile(keyring, "dev1:not-a-real-key\n", { mode: 0o600 });
    const [a, b] = await Promise.all([launchProbe(driver), launchProbe(driver)]);

    for (const { id, who } of [a, b]) {
      expect(who.uid).toBeGreaterThanOrEqual(range.first);
      expect(who.uid).toBeLessThanOrEqual(range.last);
      expect(who.gid).toBe(who.uid);
      expect(who.groups.filter((g) => g !== who.gid)).toEqual([]); // no supplementary group
      const workDir = join(local.workRoot, id);
      expect(who.cwd).toBe(workDir);
      expect(who.home).toBe(workDir);
      const info = await stat(workDir);
      expect([info.uid, info.gid, info.mode & 0o777]).toEqual([who.uid, who.uid, 0o700]);
      expect((await stat(who.tmpdir)).uid).toBe(who.uid);
      expect(await readFile(reservation(who.uid), "utf8")).toBe(id);
      // Its secret reached it; the launcher's own environment did not.
      expect(who.envNames).toContain("PROBE_SECRET");
      expect(who.envNames).not.toContain("LAUNCHER_KEYS");
    }
    expect(a.who.uid).not.toBe(b.who.uid);

    // What is its own, it can use (the probe works)...
    const writes = await attempt(b.url, [
      ["write", join(b.who.home, "notes")],
      ["write", join(b.who.tmpdir, "scratch")],
    ]);
    const reads = await attempt(b.url, [
      ["read", join(b.who.home, "notes")],
      ["environ", b.who.pid],
    ]);
    expect(Object.values({ ...writes, ...reads })).toEqual(["ok", "ok", "ok", "ok"]);
    await attempt(a.url, [["write", join(a.who.home, "private")]]);

    // ...and nothing of the launcher's or another instance's.
    const record = join(local.stateDir, "instances", a.id);
    const monitorOfA = JSON.parse(await readFile(join(record, "monitor.json"), "utf8")).pid;
    const denied = await attempt(b.url, [
      ["list", local.stateDir],
      ["read", keyring],
      ["read", join(record, "launch.json")],
      ["write", join(local.stateDir, "intruder")],
      ["list", local.workRoot],
      ["write", join(local.workRoot, "intruder")],
      ["list", a.who.home],
      ["read", join(a.who.home, "private")],
      ["environ", a.who.pid],
      ["environ", monitorOfA],
      ["environ", process.pid],
      ["signal", a.who.pid],
      ["signal", monitorOfA],
      ["signal", process.pid],
    ]);
    for (const [what, outcome] of Object.entries(denied)) expect(DENIED, what).toContain(outcome);
    expect(existsSync(join(local.workRoot, "intruder"))).toBe(false);

    await Promise.all([driver.destroy(a.id), driver.destroy(b.id)]);
  });

  it("start their apps with no_new_privs, so that no setuid binary gives them another uid", async () => {
    // Regression: Node's spawn({ uid, gid }) left no_new_privs unset. One instance could make
    // a setuid copy of a shell in /tmp and another run it, to act as the first one's uid.
    const probe = await launchProbe(makeDriver());
    const status = await ask<string>(probe.url, "/status"); // what a child of the app sees
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(status).toMatch(new RegExp(`^Uid:\\s+${probe.who.uid}\\s+${probe.who.uid}\\s`, "m"));
    await makeDriver().destroy(probe.id);
  });

  it("destroy kills everything running as the instance's uid, removes its files and frees the uid", async () => {
    const driver = makeDriver();
    const probe = await launchProbe(driver);
    // A child in a session of its own with an empty environment: only its uid tells it apart.
    const { pid: escaped } = await ask<{ pid: number }>(probe.url, "/escape");
    await waitFor(async () => (await uidOf(escaped)) === probe.who.uid, "the child to run");

    await driver.destroy(probe.id);
    expect(await isAlive(escaped)).toBe(false);
    expect(await isAlive(probe.who.pid)).toBe(false);
    expect(await local.leftovers(probe.id)).toEqual([]);
    const asItsUid = await Promise.all((await processesIn(range)).map(uidOf));
    expect(asItsUid).not.toContain(probe.who.uid);
    expect(existsSync(join(local.workRoot, probe.id))).toBe(false);
    expect(existsSync(reservation(probe.who.uid))).toBe(false);
  });

  it("destroy removes what the instance left in /tmp, /var/tmp and /dev/shm, and nothing else", async () => {
    // Regression: files an instance left in the shared temp folders outlived it, and passed to
    // the next instance given its uid.
    const driver = makeDriver();
    const probe = await launchProbe(driver);
    const left = ["/tmp", "/var/tmp", "/dev/shm"].map((dir) =>
      join(dir, `launcher-left-${probe.id}`),
    );
    const kept = join("/tmp", `launcher-kept-${probe.id}`); // root's: not the instance's
    await writeFile(kept, "root's");
    try {
      const writes = await attempt(
        probe.url,
        left.map((path) => ["write", path]),
      );
      expect(Object.values(writes)).toEqual(["ok", "ok", "ok"]);
      for (const path of left) expect((await stat(path)).uid).toBe(probe.who.uid);

      await driver.destroy(probe.id);
      for (const path of left) expect(existsSync(path), path).toBe(false);
      expect(existsSync(kept)).toBe(true);
    } finally {
      await Promise.all([kept, ...left].map((path) => rm(path, { force: true })));
    }
  });

  it("destroy stops a process that keeps moving to a new pid, before it lets the uid go", async () => {
    // Regression: the teardown looked for the uid's processes pid by pid in /proc; one that
    // keeps handing over to a child and ending is never long where it was seen, outlived the
    // teardown, and would run as the uid once another instance was given it.
    const driver = makeDriver();
    const probe = await launchProbe(driver);
    const dir = await mkdtemp(join(tmpdir(), "launcher-runner-"));
    await chmod(dir, 0o711);
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", ["-m", "0622", fifo]);
    const reader = await open(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    /** Whether some process still holds the FIFO open for writing: the runner. */
    const runs = async () => {
      try {
        return (await reader.read(Buffer.alloc(1), 0, 1, null)).bytesRead > 0;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EAGAIN") return true;
        throw error;
      }
    };
    try {
      await ask(probe.url, `/runner?fifo=${encodeURIComponent(fifo)}`);
      expect(await runs()).toBe(true);
      await driver.destroy(probe.id);
      await waitFor(async () => !(await runs()), "the runner to be gone", { timeoutMs: 10_000 });
    } finally {
      await killEveryProcessOf(probe.who.uid); // a runner that outlived a failed test
      await reader.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!SYSCALLS)(
    "destroy empties its uid's keyrings, which outlive its processes",
    async () => {
      // Regression: a key an instance put in its uid's user keyring was still there for the
      // next instance given the uid.
      const { addKey, requestKey } = SYSCALLS!;
      const driver = makeDriver();
      const probe = await launchProbe(driver);
      const uid = probe.who.uid;
      expect(await ask<number>(probe.url, `/addkey?n=${addKey}`)).toBeGreaterThan(0);
      /** The key's id as the uid finds it in its keyrings, or -1. */
      const found = () => {
        const script = `my ($t, $d) = ("user", "launcher-left"); print syscall(${requestKey}, $t, $d, 0, 0)`;
        const as = [`--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--"];
        const out = execFileSync("/usr/bin/setpriv", [...as, "/usr/bin/perl", "-e", script]);
        return Number(out.toString());
      };
      expect(found()).toBeGreaterThan(0);

      await driver.destroy(probe.id);
      expect(found()).toBe(-1);
    },
  );

  it("destroy removes the System V IPC objects the instance made, which outlive its processes", async () => {
    // Regression: a shared memory segment (or semaphore set, or message queue) an instance
    // made outlived it, and the next instance given its uid could attach it and read it.
    const driver = makeDriver();
    const probe = await launchProbe(driver);
    const made = await ask<Record<"shm" | "sem" | "msg", string>>(probe.url, "/ipcmk");
    const owners = async () => {
      const found: Record<string, number | undefined> = {};
      for (const kind of ["shm", "sem", "msg"] as const) {
        const [header = "", ...rows] = (await readFile(`/proc/sysvipc/${kind}`, "utf8")).split(
          "\n",
        );
        const columns = header.trim().split(/\s+/);
        const id = columns.findIndex((column) => column.endsWith("id")); // shmid, semid, msqid
        const row = rows.map((line) => line.trim().split(/\s+/)).find((f) => f[id] === made[kind]);
        found[kind] = row && Number(row[columns.indexOf("uid")]);
      }
      return found;
    };
    const uid = probe.who.uid;
    expect(await owners()).toEqual({ shm: uid, sem: uid, msg: uid });

    await driver.destroy(probe.id);
    expect(await owners()).toEqual({ shm: undefined, sem: undefined, msg: undefined });
  });

  it("the sweep removes what an instance left in the shared temp folders before it frees the uid", async () => {
    const driver = makeDriver();
    const probe = await launchProbe(driver);
    const left = join("/dev/shm", `launcher-left-${probe.id}`);
    expect(await attempt(probe.url, [["write", left]])).toEqual({ [`write ${left}`]: "ok" });
    // Its record disappears while its reservation stays (a start cut short by a kill -9).
    await rm(join(local.stateDir, "instances", probe.id), { recursive: true, force: true });
    try {
      await makeDriver().sweep();
      expect(existsSync(left)).toBe(false);
      expect(existsSync(reservation(probe.who.uid))).toBe(false);
    } finally {
      await rm(left, { force: true });
    }
  });

  it("a uid left reserved by a destroy cut short (kill -9) is freed by the sweep", async () => {
    const driver = makeDriver();
    const probe = await launchProbe(driver);
    const record = join(local.stateDir, "instances", probe.id);
    // The launcher wrote the tombstone and was killed before its teardown; the instance's
    // processes were killed too (as by a reboot or the OOM killer).
    await writeFile(join(record, "destroyed.json"), JSON.stringify({ at: Date.now() }));
    const monitor = JSON.parse(await readFile(join(record, "monitor.json"), "utf8")).pid;
    process.kill(-monitor, "SIGKILL");
    await waitFor(async () => !(await isAlive(probe.who.pid)), "the instance to die");
    expect(existsSync(reservation(probe.who.uid))).toBe(true);

    await makeDriver().sweep();
    expect(existsSync(reservation(probe.who.uid))).toBe(false);
    expect(existsSync(join(local.workRoot, probe.id))).toBe(false);
    expect(existsSync(join(record, "gone.json"))).toBe(true);
  });

  it("a uid still reserved for an instance that is gone is freed by the sweep, after what runs as it is killed", async () => {
    // A start a kill -9 cut short after the uid was reserved leaves a reservation whose
    // record is later torn down or removed; a stray process may still run as the uid.
    const driver = makeDriver();
    const probe = await launchProbe(driver);
    const { pid: stray } = await ask<{ pid: number }>(probe.url, "/escape");
    const uid = probe.who.uid;
    // Its record disappears (kept past its lifetime) while its reservation stays.
    await rm(join(local.stateDir, "instances", probe.id), { recursive: true, force: true });
    await waitFor(async () => (await uidOf(stray)) === uid, "the stray to run");

    await makeDriver().sweep();
    expect(await isAlive(stray)).toBe(false);
    expect(await isAlive(probe.who.pid)).toBe(false);
    expect(existsSync(join(local.workRoot, probe.id))).toBe(false);
    expect(existsSync(reservation(uid))).toBe(false);
    // The freed uid is handed out again: a driver with only that uid launches on it.
    const only = local.makeDriver({ uids: { first: uid, last: uid } });
    const next = await launchProbe(only);
    expect(next.who.uid).toBe(uid);
    await only.destroy(next.id);
  });

  it("is never ready on a port another instance squats on: the listener must be its own uid's", async () => {
    // Regression: the monitor took any answer on the instance's port for its app's. Another
    // instance that bound the port first (during the start delay) would have been shown as
    // ready, and received the user's credentials.
    const driver = makeDriver();
    const rogue = await launchProbe(driver);
    const input = kit.probeTemplateInput("held");
    const held = { ...input, drivers: { local: { ...input.drivers.local, startDelay: 1 } } };
    const spec = newInstanceSpec(TemplateSchema.parse(held));
    // Not awaited: ensure follows the launch to its end, and the squat must come first.
    const ensured = driver
      .ensure(spec, { PROBE_SECRET: "probe-secret-value-0123" }, kit.never)
      .then(
        () => "resolved",
        (error: Error) => error.message,
      );
    const launchFile = join(local.stateDir, "instances", spec.id, "launch.json");
    await waitFor(async () => existsSync(launchFile), "the victim's launch record");
    const { port } = JSON.parse(await readFile(launchFile, "utf8"));
    expect(await ask<string>(rogue.url, `/squat?port=${port}`)).toBe("ok");
    const { last, seen } = await until(driver, spec.id, ["ready", "failed"]);
    expect(seen.map((o) => o.phase)).not.toContain("ready");
    expect(last.phase).toBe("failed");
    // The victim's app could not bind its port: it failed, and said so.
    expect(await ensured).toBe("The instance exited (code 1)");
    await Promise.all([driver.destroy(rogue.id), driver.destroy(spec.id)]);
  });

  it("fails a launch with why when every uid of the range is taken", async () => {
    const one = testRange();
    const single = { first: one.first, last: one.first };
    const driver = local.makeDriver({ uids: single });
    const first = await launchProbe(driver);
    expect(first.who.uid).toBe(single.first);
    const spec = kit.newProbeSpec();
    const refused = await launchProbe(driver, spec).catch((error: Error) => error.message);
    expect(refused).toBe(
      `Every uid of ${single.first}-${single.first} is taken: no more local instances can start until some are destroyed`,
    );
    expect((await until(driver, spec.id, ["failed"])).last.error).toBe(refused);
    await driver.destroy(spec.id);
    await driver.destroy(first.id);
    const next = await launchProbe(driver);
    expect(next.who.uid).toBe(single.first);
    await driver.destroy(next.id);
  });

  it("keeps a failed instance's uid until it is destroyed", async () => {
    const driver = makeDriver();
    const probe = await launchProbe(driver);
    const record = join(local.stateDir, "instances", probe.id);
    const monitor = JSON.parse(await readFile(join(record, "monitor.json"), "utf8")).pid;
    process.kill(-monitor, "SIGKILL"); // the instance dies: failed, not destroyed
    await waitFor(async () => !(await isAlive(probe.who.pid)), "the instance to die");
    await driver.sweep();
    // Its files are still its uid's: the uid is not handed to another instance yet.
    expect(await readFile(reservation(probe.who.uid), "utf8")).toBe(probe.id);
    await driver.destroy(probe.id);
    expect(existsSync(reservation(probe.who.uid))).toBe(false);
  });
});
