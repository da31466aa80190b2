import type { InstanceSpec } from "../driver.ts";
import { instanceRecord } from "../instance-record.ts";
import { fillPlaceholders, type Template } from "../template.ts";

/**
 * The machine's metadata: what the launcher records on Fly about an instance. No value is a
 * secret. Keys are the Machines API's `metadata.{key}` (lists filter on them); times are
 * ISO 8601.
 */
export const META = {
  id: "launcher_id",
  owner: "launcher_owner",
  template: "launcher_template",
  createdAt: "launcher_created_at",
  expiresAt: "launcher_expires_at",
  timeout: "launcher_timeout",
  urlPath: "launcher_url_path",
  /** Set by `ensure` once the checks passed: the timeout no longer applies. */
  ready: "launcher_ready",
  /** Set by `recordFailure`: why the launch failed. */
  failed: "launcher_failed",
} as const;

/** Guest CPU counts Fly offers; a template's `cpus` is rounded up to the next one. */
const FLY_CPUS = [1, 2, 4, 8, 16] as const;
/** Fly sizes memory in steps of 256 MB. */
const MEMORY_STEP_MB = 256;

/**
 * The machine's size: the Fly spec's own `guest` where given, else the template's
 * `resources` (CPUs rounded up to a size Fly offers, memory up to a multiple of 256 MB),
 * else Fly's smallest machine. Fly has no per-machine process limit: `pids` does not apply.
 */
export function guestFor(template: Template): {
  cpu_kind: "shared";
  cpus: number;
  memory_mb: number;
} {
  const spec = template.drivers.fly;
  const wantedCpus = spec?.guest?.cpus ?? template.resources?.cpus ?? 1;
  const cpus = FLY_CPUS.find((count) => count >= wantedCpus) ?? 16;
  const wantedMb = spec?.guest?.memoryMb ?? template.resources?.memoryMiB ?? MEMORY_STEP_MB;
  const memory_mb = Math.max(1, Math.ceil(wantedMb / MEMORY_STEP_MB)) * MEMORY_STEP_MB;
  return { cpu_kind: "shared", cpus, memory_mb };
}

/**
 * The body of the create-machine call: the image, its size, its non-secret env (secrets reach
 * it as app secrets), an HTTP service with a check on the health path, and the metadata.
 */
export function machineRequest(options: {
  app: string;
  region: string;
  spec: InstanceSpec;
  /** Env names that the app secrets provide; a template value never shadows them. */
  secretNames: ReadonlySet<string>;
  /** The app's secrets version the machine must see (from setting them). */
  minSecretsVersion?: number;
}) {
  const { app, region, spec, secretNames, minSecretsVersion } = options;
  const fly = spec.template.drivers.fly!;
  const vars = { id: spec.id };
  const env = Object.fromEntries(
    Object.entries(fly.env)
      .filter(([name]) => !secretNames.has(name))
      .map(([name, value]) => [name, fillPlaceholders(value, vars)]),
  );
  const config = {
    image: fly.image,
    guest: guestFor(spec.template),
    env,
    ...(fly.command ? { init: { cmd: fly.command.map((c) => fillPlaceholders(c, vars)) } } : {}),
    services: [
      {
        protocol: "tcp",
        internal_port: fly.port,
        autostart: true,
        autostop: "off",
        ports: [
          { port: 443, handlers: ["tls", "http"] },
          { port: 80, handlers: ["http"], force_https: true },
        ],
        checks: [
          {
            type: "http",
            port: fly.port,
            method: "GET",
            path: fillPlaceholders(fly.healthPath, vars),
            interval: "10s",
            timeout: "5s",
            grace_period: "10s",
          },
        ],
      },
    ],
    metadata: {
      [META.id]: spec.id,
      ...instanceRecord(META, spec),
      [META.timeout]: String(fly.timeout),
      [META.urlPath]: fillPlaceholders(fly.urlPath, vars),
    },
  };
  return {
    // The name is derived from the id: a twin launcher's create answers 409, not a second machine.
    name: app,
    region,
    config,
    ...(typeof minSecretsVersion === "number" ? { min_secrets_version: minSecretsVersion } : {}),
  };
}
