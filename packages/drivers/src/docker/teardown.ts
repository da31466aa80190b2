import { DriverError } from "../driver.ts";
import { sleep } from "../retry.ts";
import { marksById } from "./container-observation.ts";
import {
  containerName,
  failureMarkName,
  LABELS,
  launchMarkName,
  readyMarkName,
  STOP_GRACE_SECONDS,
  tombstoneName,
} from "./container-spec.ts";
import type { EngineApi } from "./engine-api.ts";

/** How long a removal that another process started may take before `teardown` gives up. */
const REMOVAL_WAIT_MS = 30_000;
/**
 * A tombstone older than the stop grace plus this, with its container still running, is a
 * teardown left half-done (its destroyer crashed): `sweep` finishes it. Younger, a destroy
 * may still be stopping it, and a second stop would send the app a second TERM in its grace
 * (which some apps take as "quit now"). A container under a tombstone that has stopped is
 * finished at once, whatever the tombstone's age (see `sweep`).
 */
const HALF_DONE_MARGIN_MS = 20_000;
/** States in which nothing of a container runs, nor will again (ensure starts only `created`). */
const STOPPED = new Set(["exited", "dead"]);

/**
 * Stops the instance's container (the app's TERM handler gets its grace), removes it, and
 * resolves only once the engine no longer has it; then drops its launch, ready and failed
 * marks. The tombstone stays. Safe in several processes at once.
 */
export async function teardown(
  engine: EngineApi,
  id: string,
  stopGraceSeconds = STOP_GRACE_SECONDS,
): Promise<void> {
  const name = containerName(id);
  // A stop that fails (the engine refused, the app hung) does not end here: removing with
  // force kills what runs.
  await engine.stopContainer(name, stopGraceSeconds).catch(() => {});
  await engine.removeContainer(name);
  // A removal another process started (409) finishes on its own: wait for it.
  const deadline = Date.now() + REMOVAL_WAIT_MS;
  while (await engine.inspectContainer(name)) {
    if (Date.now() > deadline) {
      throw new DriverError("platform", `${name} is still being removed; a later sweep ends it`);
    }
    await sleep(100);
    await engine.removeContainer(name);
  }
  await engine.removeVolume(launchMarkName(id));
  await engine.removeVolume(readyMarkName(id));
  await engine.removeVolume(failureMarkName(id));
}

export interface SweepOptions {
  /** Tombstones (and failed marks of instances with no container) older than this go. */
  tombstoneTtlMs: number;
  /** The grace a container gets to stop (see `teardown`). */
  stopGraceSeconds: number;
  now?: number;
}

/**
 * Housekeeping any replica may run, several at once: finishes teardowns left half-done under
 * a tombstone (a launch mark left under one included), drops marks that outlived their
 * container, and removes tombstones (and failed marks) past their lifetime. Every step is
 * idempotent; one failure does not stop the rest, and the first is rethrown at the end.
 */
export async function sweep(engine: EngineApi, options: SweepOptions): Promise<void> {
  const now = options.now ?? Date.now();
  const [volumes, containers] = await Promise.all([
    engine.listVolumes(LABELS.id),
    engine.listContainers(LABELS.id),
  ]);
  const states = new Map(containers.map((c) => [c.Labels?.[LABELS.id], c.State]));
  const old = (at: number) => now - at > options.tombstoneTtlMs;
  let firstError: unknown;
  /** Runs `step`; whether it succeeded (its error is kept for the end). */
  const attempt = async (step: () => Promise<void>): Promise<boolean> => {
    try {
      await step();
      return true;
    } catch (error) {
      firstError ??= error;
      return false;
    }
  };
  for (const [id, marks] of marksById(volumes)) {
    const state = states.get(id);
    const hasContainer = state !== undefined;
    if (marks.destroyed) {
      if (hasContainer) {
        // Stopped: its stop is over (a destroyer killed mid-stop leaves the engine to end
        // it), so no grace is cut; removing is idempotent, whoever else removes it too.
        const halfDone =
          STOPPED.has(state) ||
          now - marks.destroyed.at > options.stopGraceSeconds * 1000 + HALF_DONE_MARGIN_MS;
        if (halfDone) await attempt(() => teardown(engine, id, options.stopGraceSeconds));
        continue;
      }
      const launchGone =
        !marks.launch || (await attempt(() => engine.removeVolume(launchMarkName(id))));
      if (marks.ready) await attempt(() => engine.removeVolume(readyMarkName(id)));
      if (marks.failed) await attempt(() => engine.removeVolume(failureMarkName(id)));
      // Not before its launch mark: left without its tombstone, that would list it again.
      if (launchGone && old(marks.destroyed.at)) {
        await attempt(() => engine.removeVolume(tombstoneName(id)));
      }
    } else if (!hasContainer) {
      // A ready mark means nothing without its container; a failed mark keeps a failed
      // launch failed (ensure refuses to retry it) for as long as a ticket may follow it. A
      // launch mark alone is a launch under way (a pull: it has no deadline) or abandoned by
      // a launcher that died; it stays listed until a follow resumes it or the reaper ends
      // it at its `expiresAt`, like a container a dead launcher left.
      if (marks.ready) await attempt(() => engine.removeVolume(readyMarkName(id)));
      if (marks.failed && old(marks.failed.at)) {
        await attempt(async () => {
          // The launch mark first: left without its failed mark, it would count again.
          if (marks.launch) await engine.removeVolume(launchMarkName(id));
          await engine.removeVolume(failureMarkName(id));
        });
      }
    }
  }
  if (firstError) throw firstError;
}
