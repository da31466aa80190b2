import type { ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import type { InstanceSpec, Observation, SecretEnv } from "../driver.ts";
import { DriverError } from "../driver.ts";
import { claimStart } from "./claim.ts";
import { startInstance } from "./launch.ts";
import type { LocalPlatform } from "./platform.ts";
import { MONITOR_DIED } from "./record.ts";
import { addMarker, readRecord } from "./record-files.ts";
import { teardown } from "./teardown.ts";

type Watch = (id: string, signal: AbortSignal) => AsyncIterable<Observation>;

/**
 * `ensure` for the local driver: records the instance (owner, template, expiry), starts it
 * unless another process does or did, then follows it until it settles — ready, failed, or
 * torn down — recording what only a process can see (a monitor that died) and finishing a
 * teardown found half-done. Readiness itself is recorded by the monitor, which probes the
 * app. Like every driver's (see lifecycle.ts): resolves at `ready`, or quietly once a destroy
 * began; rejects at `failed` with why (recorded on the platform first) and when `signal`
 * aborts. The secrets are held only until the instance is started.
 */
export function ensureLocalInstance(
  platform: LocalPlatform,
  watch: Watch,
  spec: InstanceSpec,
  env: SecretEnv,
  signal: AbortSignal,
): Promise<void> {
  return drive(platform, watch, spec, { env }, signal);
}

async function drive(
  platform: LocalPlatform,
  watch: Watch,
  spec: InstanceSpec,
  secrets: { env?: SecretEnv },
  signal: AbortSignal,
): Promise<void> {
  const dir = platform.dirOf(spec.id);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (!(await readRecord(dir)).destroyed) {
    const { owner, createdAt, expiresAt } = spec;
    const instance = { at: Date.now(), owner, template: spec.template.id, createdAt, expiresAt };
    await addMarker(dir, "instance.json", instance);
  }
  for await (const observation of watch(spec.id, signal)) {
    const { phase } = observation;
    if ((phase === "preparing" || phase === "creating") && secrets.env) {
      if (await claimStart(platform, spec.id, signal)) {
        const { env } = secrets;
        secrets.env = undefined;
        watchMonitor(platform, spec.id, await start(platform, spec, env));
      }
      continue;
    }
    secrets.env = undefined;
    if (phase === "destroying") return teardown(platform, spec.id);
    if (phase === "destroyed" || phase === "ready") return;
    if (phase === "failed") {
      if (observation.error === MONITOR_DIED) {
        await addMarker(dir, "failed.json", { at: Date.now(), reason: MONITOR_DIED });
      }
      throw new DriverError("platform", observation.error ?? "The launch failed");
    }
  }
  signal.throwIfAborted();
  throw new DriverError("platform", "The instance could not be followed to its end");
}

async function start(
  platform: LocalPlatform,
  spec: InstanceSpec,
  env: SecretEnv,
): Promise<ChildProcess> {
  try {
    return await startInstance(platform, spec, env);
  } catch (error) {
    const bad = error instanceof TypeError;
    // A DriverError says why in words fit for users (every uid of the range is taken).
    const reason = bad
      ? `Bad launch spec: ${error.message}`
      : error instanceof DriverError
        ? error.message
        : "The instance could not start";
    const failed = { at: Date.now(), reason, step: "create" };
    await addMarker(platform.dirOf(spec.id), "failed.json", failed);
    throw new DriverError(bad ? "bad_spec" : "platform", reason, { cause: error });
  }
}

/** A monitor that ends before it recorded itself leaves nothing else to say so. */
function watchMonitor(platform: LocalPlatform, id: string, monitor: ChildProcess): void {
  monitor.once("exit", () => {
    const dir = platform.dirOf(id);
    void readRecord(dir)
      .then(async (state) => {
        if (state.monitor || state.destroyed) return;
        const reason = "The instance's monitor could not start";
        await addMarker(dir, "failed.json", { at: Date.now(), reason, step: "create" });
      })
      .catch(() => {});
  });
}
