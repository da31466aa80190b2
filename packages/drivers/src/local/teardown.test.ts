import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { waitFor } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import type { Observation } from "../driver.ts";
import { pause } from "../retry.ts";
import * as kit from "./local-test-kit.ts";
import { createLocalPlatform, resolveSettings } from "./platform.ts";
import { processStartTime } from "./proc.ts";
import { stopProcesses } from "./teardown.ts";

const { fixtureTemplate, isAlive, newId, password, specOf, until, useLocalState } = kit;

const local = useLocalState();
const never = new AbortController().signal;

/** Follows `id` until `destroyed`, noting what still ran when `destroyed` arrived. */
async function followTeardown(id: string) {
  const driver = local.makeDriver();
  const seen: Observation[] = [];
  for await (const o of driver.observe(id, AbortSignal.timeout(30_000))) {
    seen.push(o);
    if (o.phase === "destroyed") return { seen, runningAtDestroyed: await local.leftovers(id) };
  }
  throw new Error(`no destroyed; saw ${seen.map((o) => o.phase)}`);
}

describe("local destroy", () => {
  it("says destroying while the instance still runs, and destroyed only when nothing does", async () => {
    // Regression: the tombstone made observers say "destroyed" at once, while the app ran on
    // through its stop grace (or for ever, after a failed stop).
    const driver = local.makeDriver();
    const id = newId();
    await driver.ensure(specOf(id, fixtureTemplate("--ignore-term")), {}, never);
    expect((await until(driver, id, ["ready", "failed"])).last.phase).toBe("ready");
    const destroyed = driver.destroy(id);
    const tombstone = join(local.recordOf(id), "destroyed.json");
    await waitFor(async () => existsSync(tombstone), "the tombstone");
    const { seen, runningAtDestroyed } = await followTeardown(id);
    await destroyed;
    expect(seen[0]?.phase).toBe("destroying");
    expect(seen[0]?.message).toBe("Stopping the instance");
    expect(runningAtDestroyed).toEqual([]);
    expect(seen.at(-1)?.message).toBe("Destroyed");
  });

  it("tells followers that an expired instance expired", async () => {
    const driver = local.makeDriver();
    const id = newId();
    await driver.ensure(specOf(id), { SCRATCHPAD_PASSWORD: password }, never);
    await driver.destroy(id, "expired");
    const { last } = await until(driver, id, ["destroyed"]);
    expect(last.message).toBe("The instance expired and was destroyed");
    expect(await driver.list()).not.toContainEqual(expect.objectContaining({ id }));
  });

  it("kills children that left the instance's session or cleared their environment", async () => {
    // Regression: only the monitor's and the app's pids were signalled; a child in its own
    // session (setsid, nohup, a Jupyter kernel) survived the destroy.
    const driver = local.makeDriver();
    const id = newId();
    await driver.ensure(specOf(id, fixtureTemplate("--tree")), {}, never);
    const { last } = await until(driver, id, ["ready", "failed"]);
    expect(last.phase).toBe("ready");
    let line: string | undefined;
    await waitFor(async () => {
      const log = await readFile(join(local.recordOf(id), "log"), "utf8").catch(() => "");
      line = log.split("\n").find((l) => l.startsWith("children "));
      return line !== undefined;
    }, "the app to name its children");
    const children = line!.split(" ").slice(1).map(Number);
    expect(children).toHaveLength(2);
    for (const pid of children) expect(await isAlive(pid)).toBe(true);
    await driver.destroy(id);
    for (const pid of children) expect(await isAlive(pid), `child ${pid}`).toBe(false);
    expect(await local.leftovers(id)).toEqual([]);
  });

  it("never signals a recorded pid that now belongs to another process", async () => {
    // Regression: destroy signalled app.json's pid whatever process had it now (after a
    // reboot, any process; as root, any process at all).
    const bystander = spawn("sleep", ["300"], { stdio: "ignore" });
    try {
      await new Promise((resolve) => bystander.once("spawn", resolve));
      const pid = bystander.pid!;
      const startTime = (await processStartTime(pid))! + 1; // another process's start
      const id = newId();
      const dir = local.recordOf(id);
      await mkdir(dir, { recursive: true });
      const marker = (name: string, value: object) =>
        writeFile(join(dir, name), JSON.stringify({ at: Date.now(), ...value }));
      await marker("claim.1", { pid: 0, startTime: 0, generation: 1 });
      await marker("monitor.json", { pid, startTime });
      await marker("app.json", { pid, startTime });
      await local.makeDriver().destroy(id);
      expect(await isAlive(pid)).toBe(true);
    } finally {
      bystander.kill("SIGKILL");
    }
  });

  it("finishes at the next sweep a teardown that a crash cut short after the tombstone", async () => {
    const driver = local.makeDriver();
    const id = newId();
    await driver.ensure(specOf(id), { SCRATCHPAD_PASSWORD: password }, never);
    // A destroy killed right after writing its tombstone:
    await writeFile(
      join(local.recordOf(id), "destroyed.json"),
      JSON.stringify({ at: Date.now(), reason: "destroyed" }),
    );
    expect((await until(driver, id, ["destroying", "destroyed"])).last.phase).toBe("destroying");
    expect((await local.leftovers(id)).length).toBeGreaterThan(0);
    await local.makeDriver().sweep();
    expect(await local.leftovers(id)).toEqual([]);
    expect(existsSync(join(local.workRoot, id))).toBe(false);
    expect((await until(driver, id, ["destroyed"])).last.phase).toBe("destroyed");
  });

  it("waits for processes with pauses between scans from 10 ms, doubling to 200 ms", async () => {
    // Regression: a teardown read the whole process table every 30 ms for as long as it
    // waited (its stop grace, 5 s by default): a core kept busy by a teardown.
    const stubborn = await startProcess("process.on('SIGTERM', () => {});");
    const quick = await startProcess("");
    // A grace no test waits out: the stubborn one is killed by the test after 8 pauses (how
    // many scans fit in a grace depends on how busy the machine is).
    const platform = createLocalPlatform(
      resolveSettings({ stateDir: local.stateDir, stopGraceMs: 600_000 }),
    );
    const stop = async (target: { pid: number; startTime: number }, killAfter?: number) => {
      const delays: number[] = [];
      const watched = (ms: number) => {
        delays.push(ms);
        if (delays.length === killAfter) process.kill(target.pid, "SIGKILL");
        return pause(ms);
      };
      await stopProcesses(platform, newId(), { recorded: [target], pause: watched });
      expect(await isAlive(target.pid)).toBe(false);
      return delays;
    };
    try {
      // One that outlives TERM: the pauses grow to 100-200 ms (jittered), never past.
      const long = (await stop(stubborn, 8)).slice(0, 8);
      expect(long[0]).toBeLessThanOrEqual(10);
      expect(Math.max(...long)).toBeLessThanOrEqual(200);
      for (const ms of long.slice(5)) expect(ms).toBeGreaterThanOrEqual(100);
      // One that ends at TERM is looked for again after at most 10 ms.
      const short = await stop(quick);
      expect(short[0]).toBeLessThanOrEqual(10);
    } finally {
      for (const { pid } of [stubborn, quick]) {
        if (await isAlive(pid)) process.kill(pid, "SIGKILL");
      }
    }
  });
});

/** A Node process in a session of its own that runs `setup`, then idles; once it is ready. */
async function startProcess(setup: string) {
  const script = `${setup} console.log("armed"); setInterval(() => 0, 1e6);`;
  const child = spawn(process.execPath, ["-e", script], {
    detached: true,
    stdio: ["ignore", "pipe", "ignore"],
  });
  child.unref();
  await new Promise((resolve) => child.stdout!.once("data", resolve));
  child.stdout!.destroy();
  return { pid: child.pid!, startTime: (await processStartTime(child.pid!))! };
}
