import type { ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { InstanceSpec, SecretEnv } from "../driver.ts";
import { fillPlaceholders } from "../template.ts";
import { isolatedEnv, prepareIsolatedWorkDir } from "./isolation.ts";
import type { LocalPlatform } from "./platform.ts";
import { pickInstancePort } from "./ports.ts";
import type { LaunchFile } from "./record.ts";
import { writeAtomic } from "./record-files.ts";
import { reserveUid } from "./uids.ts";

/** The placeholders a local spec may use (see template.ts). */
export function varsFor(platform: LocalPlatform, id: string, port: number): Record<string, string> {
  return {
    ...platform.settings.vars,
    id,
    port: String(port),
    dir: platform.workDirOf(id),
    node: process.execPath,
  };
}

/**
 * Starts a claimed instance: picks its port (and, isolating, reserves its uid), makes its own
 * folder (then owned by that uid), writes `launch.json` (no secret) and spawns its monitor
 * with the secrets in its environment; returns the monitor. Throws a `TypeError` for a spec
 * whose placeholders cannot be filled.
 */
export async function startInstance(
  platform: LocalPlatform,
  spec: InstanceSpec,
  env: SecretEnv,
): Promise<ChildProcess> {
  const local = spec.template.drivers.local!;
  const { settings } = platform;
  const port = await pickInstancePort({ reservations: platform.portsDir, id: spec.id });
  const vars = varsFor(platform, spec.id, port);
  const fill = (text: string) => fillPlaceholders(text, vars);
  const workDir = platform.workDirOf(spec.id);
  const command = local.command.map(fill);
  const appEnv = Object.fromEntries(Object.entries(local.env).map(([k, v]) => [k, fill(v)]));
  const range = settings.uids;
  const uid = range
    ? await reserveUid({
        dir: platform.uidsDir,
        range,
        id: spec.id,
        table: await platform.processes(),
      })
    : undefined;
  const launch: LaunchFile = {
    id: spec.id,
    command,
    // The template's own env may set HOME (Jupyter's is a folder of the work dir).
    env: uid === undefined ? appEnv : { ...isolatedEnv(workDir, uid), ...appEnv },
    cwd: workDir,
    port,
    url: `http://${settings.publicHost}:${port}${fill(local.urlPath)}`,
    healthUrl: `http://127.0.0.1:${port}${fill(local.healthPath)}`,
    template: spec.template.id,
    timeout: local.timeout,
    startDelayMs: local.startDelay * 1000,
    logMaxBytes: settings.logMaxBytes,
    ...(uid === undefined ? {} : { uid }),
  };
  if (uid !== undefined) {
    await prepareIsolatedWorkDir(workDir, local.dirs, uid);
  } else {
    await mkdir(workDir, { recursive: true, mode: 0o700 });
    for (const sub of local.dirs) await mkdir(join(workDir, sub), { recursive: true, mode: 0o700 });
  }
  await writeAtomic(platform.dirOf(spec.id), "launch.json", launch);
  await platform.writeMonitor();
  return platform.spawnMonitor(spec.id, env);
}
