import { constants } from "node:fs";
import { access, mkdir, readdir, rm } from "node:fs/promises";
import { delimiter, isAbsolute, join } from "node:path";
import { cacheByKey, cacheFor } from "../availability-cache.ts";
import type { Availability, Driver, InstanceInfo, Observation } from "../driver.ts";
import { DriverError, isInstanceId, isTerminal } from "../driver.ts";
import { destroyInstance } from "../lifecycle.ts";
import { observeLoop } from "../observe-loop.ts";
import { fillPlaceholders, type Template } from "../template.ts";
import { ensureLocalInstance } from "./ensure.ts";
import { checkUidRange, isolationProblem, templateUnreachable } from "./isolation.ts";
import { varsFor } from "./launch.ts";
import { createLocalPlatform, type LocalDriverOptions, resolveSettings } from "./platform.ts";
import { phaseOf, toInstanceInfo } from "./record.ts";
import { addMarker, markedAt, readRecord } from "./record-files.ts";
import { reclaimOrphanedUids, teardown } from "./teardown.ts";
import { watchInstance } from "./watch.ts";
import { checkWorkRoot } from "./work-root.ts";

export type { LocalDriverOptions } from "./platform.ts";

function findOnPath(binary: string): Promise<boolean> {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  return Promise.any(dirs.map((dir) => access(join(dir, binary), constants.X_OK))).then(
    () => true,
    () => false,
  );
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The embedded default driver: runs a template's command on this machine under a detached
 * monitor that outlives the launcher. The platform is a folder per instance under the state
 * dir (see record.ts); secrets reach the app only through its environment. With `uids`, each
 * instance's app runs as its own uid (see isolation.ts).
 *
 * @example
 * const driver = createLocalDriver({ stateDir: ".launcher", vars: { scratchpad } });
 * await driver.ensure(spec, { SCRATCHPAD_PASSWORD: password }, signal);
 * for await (const o of driver.observe(spec.id, signal)) console.log(o.phase);
 */
export function createLocalDriver(options: LocalDriverOptions): Driver {
  if (options.uids) checkUidRange(options.uids);
  const settings = resolveSettings(options);
  const platform = createLocalPlatform(settings);
  const range = settings.uids;
  // Why this machine cannot run instances, or undefined. A problem is an answer, not a
  // rejection (which `cacheFor` drops): a failed check is kept as long as a passing one.
  const problem = cacheFor(5000, async () => {
    try {
      await checkWorkRoot(settings.workRoot);
      return range && (await isolationProblem(range, settings.stateDir, settings.workRoot));
    } catch (error) {
      return errorText(error);
    }
  });
  const onPath = cacheByKey(5000, findOnPath);

  /** Observations of one instance: the shared loop, woken by inotify on its folder. */
  const watchRecord = (id: string, signal: AbortSignal): AsyncIterable<Observation> => {
    platform.dirOf(id);
    return observeLoop(signal, {
      read: () => platform.observation(id),
      subscribe: (wake) => watchInstance(platform.instancesDir, id, wake),
      // Before the folder exists nothing may wake the loop (a first launch on this state dir).
      intervalMs: (o) =>
        o.phase === "preparing" ? Math.min(settings.pollMs, 50) : settings.pollMs,
      minGapMs: Math.min(settings.pollMs, 5),
    });
  };

  async function available(): Promise<Availability> {
    const reason = await problem();
    if (reason) return { available: false, reason };
    const detail = range ? `this machine, each instance as its own uid` : "this machine";
    return { available: true, detail };
  }

  return {
    name: "local",
    available,

    async availableFor(template: Template): Promise<Availability> {
      const local = template.drivers.local;
      if (!local) return { available: false, reason: `${template.name} has no local launch spec` };
      const here = await available();
      if (!here.available) return here;
      if (local.requires && !(await onPath(local.requires))) {
        return { available: false, reason: `\`${local.requires}\` was not found on PATH` };
      }
      const vars = varsFor(platform, "0".repeat(32), 0);
      let command: string[];
      try {
        command = local.command.slice(0, 2).map((arg) => fillPlaceholders(arg, vars));
        for (const path of command) if (isAbsolute(path)) await access(path);
      } catch {
        return {
          available: false,
          reason: `${template.name} is not built here (run the build first)`,
        };
      }
      const unreachable = range && (await templateUnreachable(local, command, range));
      if (unreachable) {
        return {
          available: false,
          reason: `${template.name} cannot run as an instance's own uid here: ${unreachable}`,
        };
      }
      return { available: true };
    },

    async ensure(spec, env, signal) {
      platform.dirOf(spec.id);
      if (!spec.template.drivers.local) {
        throw new DriverError("bad_spec", `${spec.template.name} has no local launch spec`);
      }
      const reason = await problem();
      if (reason) throw new DriverError("unavailable", reason);
      return ensureLocalInstance(platform, watchRecord, spec, env, signal);
    },

    async recordFailure(id, reason) {
      const dir = platform.dirOf(id);
      const { state, facts } = await platform.read(id);
      const phase = phaseOf(state, facts);
      if (isTerminal(phase) || phase === "destroying") return;
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await addMarker(dir, "failed.json", { at: Date.now(), reason: reason.slice(0, 500) });
    },

    async *observe(id, signal) {
      yield* watchRecord(id, signal);
    },

    async destroy(id, reason = "destroyed") {
      const dir = platform.dirOf(id);
      await destroyInstance({
        // The tombstone first: from now on no process starts or resumes this instance.
        async writeTombstone() {
          await mkdir(dir, { recursive: true, mode: 0o700 });
          await addMarker(dir, "destroyed.json", { at: Date.now(), reason });
        },
        // Resolves once nothing of the instance runs (and records that): no wait needed after.
        teardown: () => teardown(platform, id),
      });
    },

    async list() {
      const ids = (await readdir(platform.instancesDir).catch(() => [])).filter(isInstanceId);
      const infos = await Promise.all(
        ids.map(async (id) => {
          // Most records are old tombstones: one look at the folder's end marker skips them.
          if (await markedAt(platform.dirOf(id), "gone.json")) return undefined;
          const { state, facts } = await platform.read(id);
          return toInstanceInfo(id, state, facts);
        }),
      );
      return infos.filter((info): info is InstanceInfo => info !== undefined);
    },

    async sweep() {
      const ids = (await readdir(platform.instancesDir).catch(() => [])).filter(isInstanceId);
      const expired = (since: number | undefined) =>
        since !== undefined && Date.now() - since >= settings.tombstoneTtlMs;
      await Promise.all(
        ids.map(async (id) => {
          const dir = platform.dirOf(id);
          // A tombstone past its lifetime: no ticket can follow the instance any more.
          if (await markedAt(dir, "gone.json")) {
            if (expired(await markedAt(dir, "destroyed.json"))) {
              await rm(dir, { recursive: true, force: true });
            }
            return;
          }
          const state = await readRecord(dir);
          // A teardown cut short (a crash mid-destroy): finish it; the next sweep tries again.
          if (state.destroyed) return teardown(platform, id).catch(() => {});
          // A failure recorded for a launch that never started, past the same lifetime.
          if (!state.claim && !state.instance && expired(state.failed?.at)) {
            await rm(dir, { recursive: true, force: true });
          }
        }),
      );
      // Uids left reserved for instances that are gone (a teardown or start cut short).
      await reclaimOrphanedUids(platform);
    },
  };
}
