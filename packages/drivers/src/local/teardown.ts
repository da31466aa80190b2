import { rm } from "node:fs/promises";
import { DriverError } from "../driver.ts";
import { pause } from "./pause.ts";
import type { LocalPlatform } from "./platform.ts";
import { release } from "./ports.ts";
import { instanceProcesses, isSameProcessAlive, signalProcess } from "./proc.ts";
import type { RecordState } from "./record.ts";
import { addMarker, readRecord } from "./record-files.ts";

/** How long processes that got SIGKILL may take to vanish before the teardown gives up. */
const KILL_WAIT_MS = 5000;

/**
 * Stops every process of the instance: those whose environment names it (children that left
 * its session, a Jupyter kernel), those recorded for it (pid and start time must match), and
 * every process in their groups and sessions. TERM first; KILL for what is left after the
 * grace. Resolves when none runs; rejects when some survive even KILL.
 */
async function stopProcesses(platform: LocalPlatform, id: string, state: RecordState) {
  const recorded = [state.monitor, state.app].flatMap((mark) =>
    mark && mark.startTime !== undefined ? [{ pid: mark.pid, startTime: mark.startTime }] : [],
  );
  const find = async () => instanceProcesses(await platform.processes(), id, recorded);
  const key = (p: { pid: number; startTime: number }) => `${p.pid}:${p.startTime}`;
  const termed = new Set<string>();
  const graceEnd = Date.now() + platform.settings.stopGraceMs;
  for (;;) {
    const found = await find();
    if (!found.length) return;
    if (Date.now() >= graceEnd) break;
    for (const target of found) {
      if (termed.has(key(target))) continue;
      termed.add(key(target));
      await signalProcess(target, "SIGTERM");
    }
    await pause(30);
  }
  const killEnd = Date.now() + KILL_WAIT_MS;
  for (;;) {
    const found = await find();
    if (!found.length) return;
    if (Date.now() >= killEnd) {
      throw new DriverError("platform", `${found.length} processes of the instance did not stop`);
    }
    for (const target of found) await signalProcess(target, "SIGKILL");
    await pause(30);
  }
}

/**
 * Finishes the teardown of a tombstoned instance: stops all of it, removes its own files and
 * its port reservation, then records `gone.json` — after which observers say `destroyed`.
 * Idempotent, and safe to run in several processes at once.
 */
export async function teardown(platform: LocalPlatform, id: string): Promise<void> {
  const dir = platform.dirOf(id);
  let state = await readRecord(dir);
  if (state.gone) return;
  // A start may be under way: let its monitor appear (it then stops with the rest), unless
  // its claimer died; a monitor that starts later sees the tombstone and starts nothing.
  const deadline = Date.now() + platform.settings.claimGraceMs;
  while (
    state.claim &&
    !state.monitor &&
    !state.exit &&
    !state.failed &&
    Date.now() < deadline &&
    (await isSameProcessAlive(state.claim.pid, state.claim.startTime))
  ) {
    await pause(20);
    state = await readRecord(dir);
  }
  await stopProcesses(platform, id, state);
  await rm(platform.workDirOf(id), { recursive: true, force: true });
  if (state.launch) await release(platform.portsDir, state.launch.port, id);
  await addMarker(dir, "gone.json", { at: Date.now() });
}
