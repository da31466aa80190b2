import { z } from "zod";

/**
 * The request bodies of the Machines API, as zod schemas written by hand from Fly.io's
 * published OpenAPI document (https://docs.fly.io/api/machines/openapi.json, the
 * `components.schemas` named beside each one; Apache 2.0) — only the ones the Fly driver
 * sends, with every field the document lists for them. The document marks almost nothing
 * required and the API is written in Go, so, as Go's JSON decoder does:
 *
 * - unknown fields pass (they are ignored), and `null` is as good as absent;
 * - a field of the wrong type is refused: an integer field takes no `1.5` and no `"1"`.
 *
 * What the API documents beyond the schema is added where noted: a machine needs an image
 * (the Machines docs mark `config.image` required), guest memory comes in steps of 256 MB
 * and `cpu_kind` is `shared` or `performance`, durations are Go durations (`10s`), ports are
 * TCP ports, and an app needs a name (a DNS label: it becomes `<name>.fly.dev`) and an org.
 */

const int = z.number().int();
const opt = <T extends z.ZodType>(schema: T) => schema.nullish();
const strings = z.array(z.string());
const stringMap = z.record(z.string(), z.string());
/** Go's `time.ParseDuration` syntax, as `fly.Duration` decodes it. */
const duration = z
  .string()
  .regex(/^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/, "must be a duration such as 10s");
const tcpPort = int.min(0).max(65535);

/** `fly.MachineHTTPHeader` */
const HttpHeader = z.looseObject({ name: opt(z.string()), values: opt(strings) });

/** `fly.MachineServiceCheck`; `fly.MachineCheck` adds `kind`. */
const serviceCheckFields = {
  grace_period: opt(duration),
  headers: opt(z.array(HttpHeader)),
  interval: opt(duration),
  method: opt(z.string()),
  path: opt(z.string()),
  port: opt(tcpPort),
  protocol: opt(z.string()),
  timeout: opt(duration),
  tls_server_name: opt(z.string()),
  tls_skip_verify: opt(z.boolean()),
  type: opt(z.string()),
};
const ServiceCheck = z.looseObject(serviceCheckFields);
const MachineCheck = z.looseObject({
  ...serviceCheckFields,
  kind: opt(z.enum(["informational", "readiness"])),
});

/** `fly.MachinePort` */
const MachinePort = z.looseObject({
  end_port: opt(tcpPort),
  force_https: opt(z.boolean()),
  handlers: opt(strings),
  http_options: opt(z.looseObject({})),
  port: opt(tcpPort),
  proxy_proto_options: opt(z.looseObject({ version: opt(z.string()) })),
  start_port: opt(tcpPort),
  tls_options: opt(
    z.looseObject({
      alpn: opt(strings),
      default_self_signed: opt(z.boolean()),
      versions: opt(strings),
    }),
  ),
});

/** `fly.MachineService`; `autostop` takes the new string or the old boolean. */
const MachineService = z.looseObject({
  autostart: opt(z.boolean()),
  autostop: opt(z.union([z.enum(["off", "stop", "suspend"]), z.boolean()])),
  checks: opt(z.array(ServiceCheck)),
  concurrency: opt(
    z.looseObject({ hard_limit: opt(int), soft_limit: opt(int), type: opt(z.string()) }),
  ),
  force_instance_description: opt(z.string()),
  force_instance_key: opt(z.string()),
  internal_port: opt(int.min(1).max(65535)),
  min_machines_running: opt(int),
  ports: opt(z.array(MachinePort)),
  protocol: opt(z.string()),
});

/** `fly.MachineGuest`, with the documented sizes. */
const MachineGuest = z.looseObject({
  cpu_kind: opt(z.enum(["shared", "performance"])),
  cpus: opt(int.positive()),
  gpu_kind: opt(z.string()),
  gpus: opt(int),
  host_dedication_id: opt(z.string()),
  kernel_args: opt(strings),
  max_memory_mb: opt(int),
  memory_mb: opt(int.positive().multipleOf(256, "must be a multiple of 256")),
  persist_rootfs: opt(z.enum(["never", "always", "restart"])),
});

const signal = z.enum(["SIGHUP", "SIGINT", "SIGQUIT", "SIGKILL", "SIGUSR1", "SIGUSR2", "SIGTERM"]);

/** `fly.MachineConfig`. Containers, processes and DNS are checked only for being objects. */
const MachineConfig = z.looseObject({
  auto_destroy: opt(z.boolean()),
  cache_drive: opt(z.looseObject({ size_mb: opt(int) })),
  checks: opt(z.record(z.string(), MachineCheck)),
  containers: opt(z.array(z.looseObject({}))),
  disable_machine_autostart: opt(z.boolean()),
  dns: opt(z.looseObject({})),
  env: opt(stringMap),
  files: opt(
    z.array(
      z.looseObject({
        guest_path: opt(z.string()),
        image_config: opt(z.string()),
        mode: opt(int),
        raw_value: opt(z.string()),
        secret_name: opt(z.string()),
      }),
    ),
  ),
  guest: opt(MachineGuest),
  image: opt(z.string()),
  init: opt(
    z.looseObject({
      cmd: opt(strings),
      entrypoint: opt(strings),
      exec: opt(strings),
      kernel_args: opt(strings),
      swap_size_mb: opt(int),
      tty: opt(z.boolean()),
    }),
  ),
  metadata: opt(stringMap),
  metrics: opt(z.looseObject({ https: opt(z.boolean()), path: opt(z.string()), port: opt(int) })),
  mounts: opt(z.array(z.looseObject({ path: opt(z.string()), volume: opt(z.string()) }))),
  processes: opt(z.array(z.looseObject({}))),
  restart: opt(
    z.looseObject({
      gpu_bid_price: opt(z.number()),
      max_retries: opt(int),
      policy: opt(z.enum(["no", "always", "on-failure", "spot-price"])),
    }),
  ),
  rootfs: opt(
    z.looseObject({ persist: opt(z.enum(["never", "always", "restart"])), size_gb: opt(int) }),
  ),
  schedule: opt(z.string()),
  services: opt(z.array(MachineService)),
  size: opt(z.string()),
  spot: opt(z.looseObject({ max_price_fraction: opt(z.number()) })),
  standbys: opt(strings),
  statics: opt(
    z.array(
      z.looseObject({
        guest_path: z.string(),
        index_document: opt(z.string()),
        tigris_bucket: opt(z.string()),
        url_prefix: z.string(),
      }),
    ),
  ),
  stop_config: opt(z.looseObject({ signal: opt(signal), timeout: opt(duration) })),
});

const machineRequestFields = {
  config: MachineConfig,
  lease_ttl: opt(int),
  min_secrets_version: opt(int),
  name: opt(z.string()),
  region: opt(z.string()),
  skip_launch: opt(z.boolean()),
  skip_secrets: opt(z.boolean()),
  skip_service_registration: opt(z.boolean()),
};

/** `CreateMachineRequest`: a machine runs an image, so `config.image` is required. */
export const CreateMachineRequest = z.looseObject({
  ...machineRequestFields,
  config: MachineConfig.extend({ image: z.string().min(1, "image is required") }),
});

/** `UpdateMachineRequest` */
export const UpdateMachineRequest = z.looseObject({
  ...machineRequestFields,
  current_version: opt(z.string()),
});

/** `CreateAppRequest`. The name becomes a host name; the docs' older `app_name` is ignored. */
export const CreateAppRequest = z.looseObject({
  enable_subdomains: opt(z.boolean()),
  name: z
    .string()
    .regex(
      /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
      "name must be lowercase letters, numbers and dashes",
    ),
  network: opt(z.string()),
  org_slug: z.string().min(1),
});

/** `AppSecretsUpdateRequest`: a string sets a secret, `null` unsets it (as the doc says). */
export const AppSecretsUpdateRequest = z.looseObject({
  values: opt(z.record(z.string(), z.string().nullable())),
});

/** `assignIPRequest` with `IPAssignmentType` */
export const AssignIpRequest = z.looseObject({
  network: opt(z.string()),
  org_slug: opt(z.string()),
  region: opt(z.string()),
  service_name: opt(z.string()),
  type: opt(
    z.enum(["v4", "v6", "shared_v4", "private_v6", "egress_v4", "egress_v6", "egress_pair"]),
  ),
});

/** `upsertMetadataKeyRequest` */
export const UpsertMetadataKeyRequest = z.looseObject({
  updated_at: opt(z.string()),
  value: opt(z.string()),
});

/** The `state` a `wait` may ask for (the `Machines_wait` parameter's enum). */
export const WaitState = z.enum([
  "started",
  "stopped",
  "suspended",
  "destroyed",
  "failed",
  "settled",
]);

/**
 * Checks a body against a schema: the parsed body, or the API's `{ error }` text — worded as
 * Go's decoder words a type mismatch (`decoding`), else as the field and what is wrong.
 */
export function checkBody<T>(
  schema: z.ZodType<T>,
  body: unknown,
): { ok: true; value: T } | { ok: false; decoding: boolean; error: string } {
  const parsed = schema.safeParse(body);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join(".") || "body";
  const value = issue.path.reduce<unknown>(
    (o, k) => (o as Record<PropertyKey, unknown> | undefined)?.[k],
    body,
  );
  if (issue.code === "invalid_type" && value !== undefined && value !== null) {
    const got = Array.isArray(value) ? "array" : typeof value;
    return {
      ok: false,
      decoding: true,
      error: `json: cannot unmarshal ${got} into Go struct field ${field} of type ${issue.expected}`,
    };
  }
  const problem = value === undefined || value === null ? "is required" : issue.message;
  return { ok: false, decoding: false, error: `${field}: ${problem}` };
}
