// Isolated instances against each other's environment markers, and takeovers of a start a
// crashed launcher left: real processes, as root.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { waitFor } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import { newInstanceSpec } from "../driver-fixtures.ts";
import * as kit from "./isolation-test-kit.ts";
import { isAlive, newId, until, useLocalState } from "./local-test-kit.ts";
import { uidsOf } from "./uids.ts";

const { ask, launchProbe, probeTemplate, skipIsolation, testRange, uidOf } = kit;

const range = testRange();
const local = useLocalState();
kit.killRangeAfterAll(range);
const makeDriver = () => local.makeDriver({ uids: range, claimGraceMs: 200 });
const uidsDir = () => join(local.stateDir, "uids");

/** The record a launcher killed mid-start leaves: a claim whose process is gone. */
async function crashedStart(id: string) {
  const dir = join(local.stateDir, "instances", id);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const claim = { pid: 0, startTime: 0, generation: 1, at: Date.now() - 60_000 };
  await writeFile(join(dir, "claim.1"), JSON.stringify(claim));
}

/** Has `probe` start a process in a session of its own that names `instance` as its own. */
async function forgeMarker(probe: { url: string; who: { uid: number } }, instance: string) {
  const { pid } = await ask<{ pid: number }>(probe.url, `/escape?instance=${instance}`);
  await waitFor(async () => (await uidOf(pid)) === probe.who.uid, "the forger to run");
  const environ = await readFile(`/proc/${pid}/environ`, "utf8");
  expect(environ).toContain(`LAUNCHER_INSTANCE=${instance}`);
  return pid;
}

const title = skipIsolation
  ? `isolated local instances' markers and takeovers (skipped: ${kit.SKIP_REASON})`
  : "isolated local instances' markers and takeovers";

describe.skipIf(skipIsolation)(title, () => {
  it("destroying an instance spares another instance's process that names it in its environment", async () => {
    // Regression: the teardown took every process whose environment named the instance for
    // its own; any isolated app could set that marker, and be found in another's teardown.
    const driver = makeDriver();
    const [forger, victim] = await Promise.all([launchProbe(driver), launchProbe(driver)]);
    const forged = await forgeMarker(forger, victim.id);

    await driver.destroy(victim.id);
    expect(await isAlive(victim.who.pid)).toBe(false);
    expect(await isAlive(forged)).toBe(true);
    expect(await isAlive(forger.who.pid)).toBe(true);
    // It is its own instance's still: that one's destroy finds it by its uid.
    await driver.destroy(forger.id);
    expect(await isAlive(forged)).toBe(false);
  });

  it("takes over a crashed start even when another instance's process names it in its environment", async () => {
    // Regression: the takeover saw a process with the instance's marker and took it for the
    // crashed launcher's monitor: another instance's app could stop a start for ever.
    const driver = makeDriver();
    const forger = await launchProbe(driver);
    const id = newId();
    await forgeMarker(forger, id);
    await crashedStart(id);

    const taken = await launchProbe(driver, newInstanceSpec(probeTemplate, { id }));
    expect(taken.who.uid).not.toBe(forger.who.uid);
    await Promise.all([driver.destroy(id), driver.destroy(forger.id)]);
  });

  it("a start taken over after a launcher crash runs as the uid that launcher reserved, and holds no other", async () => {
    // Regression: each takeover reserved a new uid, and an instance could end up holding several.
    const id = newId();
    await crashedStart(id);
    const reserved = range.first + Math.floor(Math.random() * (range.last - range.first + 1));
    await mkdir(uidsDir(), { recursive: true, mode: 0o700 });
    await writeFile(join(uidsDir(), String(reserved)), id, { mode: 0o600 });

    const driver = makeDriver();
    const taken = await launchProbe(driver, newInstanceSpec(probeTemplate, { id }));
    expect(taken.who.uid).toBe(reserved);
    expect(await uidsOf(uidsDir(), id)).toEqual([reserved]);
    await driver.destroy(id);
    expect(await uidsOf(uidsDir(), id)).toEqual([]);
    expect((await until(driver, id, ["destroyed"])).last.phase).toBe("destroyed");
  });
});
