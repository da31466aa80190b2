import {
  type Availability,
  type Driver,
  DriverError,
  type InstanceSpec,
  type Observation,
  type Phase,
  type SecretEnv,
} from "../driver.ts";
import { DEFAULT_RETRY, type RetryOptions, sleep } from "../retry.ts";
import { makeSteps, type StepKey } from "../steps.ts";
import { fillPlaceholders, type Template } from "../template.ts";
import { createFlyApi, type FlyApi } from "./fly-api.ts";

export interface FlyDriverOptions {
  /** The Fly.io API token (the server passes `FLY_API_TOKEN`). Without it the driver is unavailable. */
  token?: string;
  /** The organization slug apps are created in (`FLY_ORG`). */
  org: string;
  /** The region machines run in (`FLY_REGION`), e.g. `fra`. */
  region: string;
  /** Default `https://api.machines.dev`. */
  apiUrl?: string;
  /** Apps are named `<appPrefix>-<instance id>`. Default `launcher`. */
  appPrefix?: string;
  fetch?: typeof fetch;
  retry?: RetryOptions;
  /** How often `observe` re-reads a machine whose checks are not passing yet. Default 2,000 ms. */
  pollIntervalMs?: number;
  /** The `timeout` of each `wait?state=started` call, in seconds, at most 60. Default 60. */
  waitTimeoutSeconds?: number;
}

/** Fly pulls the image as part of creating a machine and does not report it apart. */
const STEP_KEYS: readonly StepKey[] = ["create", "start", "check"];

/**
 * The name of the app secret `destroy` sets before it tears anything down. Its presence
 * (readable by name; its value is only a time) is the tombstone that outlives Fly's list
 * of destroyed machines, so `ensure` never creates a destroyed instance again.
 */
export const FLY_TOMBSTONE_SECRET = "LAUNCHER_DESTROYED";

interface FlyMachine {
  id: string;
  name?: string;
  state?: string;
  created_at?: string;
  updated_at?: string;
  instance_id?: string;
  config?: { metadata?: Record<string, string> };
  events?: { timestamp?: number; type?: string; status?: string }[];
  checks?: { name?: string; status?: string; updated_at?: string }[];
}

interface FlySecret {
  name?: string;
  created_at?: string;
  updated_at?: string;
}

/** What the platform knows of one instance. */
interface FlyInstance {
  appExists: boolean;
  /** The machine that carries `metadata.launcher_id`, live or destroyed. */
  machine?: FlyMachine;
  tombstone?: FlySecret;
}

const DESTROYED_STATES = new Set(["destroying", "destroyed"]);

/**
 * The Fly.io driver: one Fly app per instance (so the generated secrets are that app's
 * secrets and never sit in a machine's plain `env`), one machine in it, reached at
 * `https://<app>.fly.dev/`.
 *
 * @example
 * const driver = createFlyDriver({ token: env.FLY_API_TOKEN, org: "personal", region: "fra" });
 * await driver.ensure(spec, secrets, signal);
 * for await (const observation of driver.observe(spec.id, signal)) console.log(observation.phase);
 */
export function createFlyDriver(options: FlyDriverOptions): Driver {
  const prefix = options.appPrefix ?? "launcher";
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  const waitTimeoutSeconds = Math.min(60, Math.max(1, options.waitTimeoutSeconds ?? 60));
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  let api: FlyApi | undefined;

  const client = (): FlyApi => {
    if (!options.token) throw new DriverError("unavailable", "FLY_API_TOKEN is not set");
    api ??= createFlyApi({
      token: options.token,
      apiUrl: options.apiUrl ?? "https://api.machines.dev",
      fetch: options.fetch ?? globalThis.fetch,
      retry,
    });
    return api;
  };

  const appName = (id: string): string => {
    if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(id)) throw new TypeError(`bad instance id "${id}"`);
    return `${prefix}-${id}`;
  };

  async function readInstance(id: string, signal?: AbortSignal): Promise<FlyInstance> {
    const app = appName(id);
    const query = new URLSearchParams({ include_deleted: "true", "metadata.launcher_id": id });
    const listed = await client().request<FlyMachine[]>("GET", `/apps/${app}/machines?${query}`, {
      expect: [404],
      signal,
    });
    if (listed.status === 404) return { appExists: false };
    const mine = (listed.body ?? []).filter((m) => m.config?.metadata?.launcher_id === id);
    // A live machine wins over a destroyed one only to be torn down by `ensure`'s race check.
    const machine = mine.find((m) => DESTROYED_STATES.has(m.state ?? "")) ?? mine[0];
    const tombstone =
      machine && DESTROYED_STATES.has(machine.state ?? "")
        ? undefined
        : await readTombstone(app, signal);
    return { appExists: true, machine, tombstone };
  }

  async function readTombstone(app: string, signal?: AbortSignal): Promise<FlySecret | undefined> {
    const secrets = await client().request<{ secrets?: FlySecret[] }>(
      "GET",
      `/apps/${app}/secrets`,
      { expect: [404], signal },
    );
    if (secrets.status === 404) return undefined;
    return secrets.body?.secrets?.find((s) => s.name === FLY_TOMBSTONE_SECRET);
  }

  async function createApp(app: string): Promise<void> {
    // The docs name the field `app_name`; the current OpenAPI spec calls it `name`. Both are sent.
    const created = await client().request<{ error?: string }>("POST", "/apps", {
      body: { app_name: app, name: app, org_slug: options.org },
      expect: [409, 422],
    });
    if (created.status === 422 && !/already|taken|exists/i.test(created.body?.error ?? "")) {
      throw new DriverError(
        "platform",
        `Fly.io refused to create app ${app}: ${created.body?.error}`,
      );
    }
  }

  async function ensureIps(app: string): Promise<void> {
    const listed = await client().request<{ ips?: { ip?: string; shared?: boolean }[] }>(
      "GET",
      `/apps/${app}/ip_assignments`,
    );
    const ips = listed.body?.ips ?? [];
    if (!ips.some((ip) => ip.shared && !ip.ip?.includes(":"))) {
      await client().request("POST", `/apps/${app}/ip_assignments`, {
        body: { type: "shared_v4" },
      });
    }
    if (!ips.some((ip) => ip.ip?.includes(":"))) {
      await client().request("POST", `/apps/${app}/ip_assignments`, { body: { type: "v6" } });
    }
  }

  async function destroyMachine(app: string, machineId: string): Promise<void> {
    await client().request("DELETE", `/apps/${app}/machines/${machineId}?force=true`, {
      expect: [404],
    });
  }

  function machineConfig(id: string, template: Template, secretNames: ReadonlySet<string>) {
    const spec = template.drivers.fly!;
    const vars = { id };
    const env = Object.fromEntries(
      Object.entries(spec.env)
        .filter(([name]) => !secretNames.has(name))
        .map(([name, value]) => [name, fillPlaceholders(value, vars)]),
    );
    const healthPath = fillPlaceholders(spec.healthPath, vars);
    return {
      image: spec.image,
      guest: {
        cpu_kind: "shared",
        cpus: spec.guest?.cpus ?? 1,
        memory_mb: spec.guest?.memoryMb ?? 256,
      },
      env,
      ...(spec.command
        ? { init: { cmd: spec.command.map((c) => fillPlaceholders(c, vars)) } }
        : {}),
      services: [
        {
          protocol: "tcp",
          internal_port: spec.port,
          autostart: true,
          autostop: "off",
          ports: [
            { port: 443, handlers: ["tls", "http"] },
            { port: 80, handlers: ["http"], force_https: true },
          ],
          checks: [
            {
              type: "http",
              port: spec.port,
              method: "GET",
              path: healthPath,
              interval: "10s",
              timeout: "5s",
              grace_period: "10s",
            },
          ],
        },
      ],
      metadata: {
        launcher_id: id,
        launcher_timeout: String(spec.timeout),
        launcher_url_path: fillPlaceholders(spec.urlPath, vars),
      },
    };
  }

  async function ensure(spec: InstanceSpec, env: SecretEnv, signal: AbortSignal): Promise<void> {
    if (!spec.template.drivers.fly) {
      throw new DriverError("bad_spec", `template "${spec.template.id}" has no Fly.io spec`);
    }
    const app = appName(spec.id);
    const known = await readInstance(spec.id, signal);
    if (known.tombstone || known.machine) return; // destroyed stays destroyed; a machine exists
    if (!known.appExists) await createApp(app);
    signal.throwIfAborted();
    const secrets = await client().request<{ version?: number }>("POST", `/apps/${app}/secrets`, {
      body: { values: { ...env } },
    });
    await ensureIps(app);
    signal.throwIfAborted();
    // Another launcher may have got here first: the machine's name is derived from the id, so a
    // second create answers 409 instead of starting a twin.
    const again = await readInstance(spec.id, signal);
    if (again.tombstone || again.machine) return;
    const minSecretsVersion = secrets.body?.version;
    await client().request("POST", `/apps/${app}/machines`, {
      body: {
        name: app,
        region: options.region,
        config: machineConfig(spec.id, spec.template, new Set(Object.keys(env))),
        ...(typeof minSecretsVersion === "number"
          ? { min_secrets_version: minSecretsVersion }
          : {}),
      },
      expect: [409],
    });
    // A destroy that ran while we created must win: it left its tombstone first.
    const after = await readInstance(spec.id);
    if (after.tombstone && after.machine && !DESTROYED_STATES.has(after.machine.state ?? "")) {
      await destroyMachine(app, after.machine.id);
    }
  }

  async function* observe(id: string, signal: AbortSignal): AsyncIterable<Observation> {
    const app = appName(id);
    let last: { version: number; key: string } | undefined;
    while (!signal.aborted) {
      let instance: FlyInstance;
      try {
        instance = await readInstance(id, signal);
      } catch (error) {
        if (signal.aborted) return;
        throw error;
      }
      const observation = toObservation(app, instance, Date.now());
      const key = JSON.stringify({ ...observation, version: 0 });
      if (!last || key !== last.key) {
        // Platform clocks can disagree by a few ms; a new state never gets an old version.
        const version = last
          ? Math.max(observation.version, last.version + 1)
          : observation.version;
        last = { version, key };
        yield { ...observation, version };
      }
      const state = instance.machine?.state;
      try {
        if (instance.machine && (state === "created" || state === "starting")) {
          // Long-poll: the API answers when the machine started, or 408 when the timeout ran out.
          await client().request(
            "GET",
            `/apps/${app}/machines/${instance.machine.id}/wait?state=started&timeout=${waitTimeoutSeconds}`,
            { expect: [408], signal },
          );
        } else {
          await sleep(pollIntervalMs, signal);
        }
      } catch (error) {
        if (signal.aborted) return;
        throw error;
      }
    }
  }

  async function destroy(id: string): Promise<void> {
    const app = appName(id);
    const known = await readInstance(id);
    if (!known.appExists) await createApp(app); // the tombstone needs a place to live
    // Intent first: once the tombstone exists no `ensure` anywhere creates this instance.
    if (!known.tombstone) {
      await client().request("POST", `/apps/${app}/secrets`, {
        body: { values: { [FLY_TOMBSTONE_SECRET]: String(Date.now()) } },
      });
    }
    const query = new URLSearchParams({ include_deleted: "true", "metadata.launcher_id": id });
    const listed = await client().request<FlyMachine[]>("GET", `/apps/${app}/machines?${query}`, {
      expect: [404],
    });
    for (const machine of listed.body ?? []) {
      if (machine.config?.metadata?.launcher_id !== id) continue;
      if (!DESTROYED_STATES.has(machine.state ?? "")) await destroyMachine(app, machine.id);
    }
    // No generated secret outlives the instance: unset every app secret but the tombstone.
    const secrets = await client().request<{ secrets?: FlySecret[] }>(
      "GET",
      `/apps/${app}/secrets`,
      { expect: [404] },
    );
    const names = (secrets.body?.secrets ?? [])
      .map((s) => s.name)
      .filter((name): name is string => !!name && name !== FLY_TOMBSTONE_SECRET);
    if (names.length > 0) {
      await client().request("POST", `/apps/${app}/secrets`, {
        body: { values: Object.fromEntries(names.map((name) => [name, null])) },
      });
    }
  }

  async function available(): Promise<Availability> {
    if (!options.token) return { available: false, reason: "FLY_API_TOKEN is not set" };
    return { available: true, detail: `Fly.io org ${options.org}, region ${options.region}` };
  }

  return {
    name: "fly",
    available,
    async availableFor(template) {
      if (!template.drivers.fly) {
        return { available: false, reason: `${template.name} has no Fly.io image` };
      }
      return available();
    },
    // Placeholders until the driver lists and sweeps its platform (issues 14 and 15).
    async list() {
      return [];
    },
    async sweep() {},
    // Placeholder until the driver records failures on its platform (issue 14, the launch session).
    async recordFailure() {},
    ensure,
    observe,
    destroy,
  };
}

const ms = (value: string | number | undefined): number => {
  if (value === undefined) return 0;
  const parsed = typeof value === "number" ? value : Date.parse(value);
  return Number.isFinite(parsed) ? parsed : 0;
};

/**
 * Maps what Fly says to a snapshot. The version is the newest platform timestamp behind
 * it (machine events, check updates, the machine's own `updated_at`), so every launcher
 * process that reads the same machine computes the same number.
 */
function toObservation(app: string, instance: FlyInstance, now: number): Observation {
  const base = { logTail: [] as string[] };
  const { machine, tombstone } = instance;
  if (!instance.appExists) {
    return { ...base, version: 0, phase: "preparing", steps: steps("preparing") };
  }
  if (machine && DESTROYED_STATES.has(machine.state ?? "")) {
    return { ...base, version: versionOf(machine), phase: "destroyed", steps: steps("destroyed") };
  }
  if (tombstone) {
    const version = Math.max(ms(tombstone.updated_at), ms(tombstone.created_at), 1);
    return { ...base, version, phase: "destroyed", steps: steps("destroyed") };
  }
  if (!machine) {
    return { ...base, version: 1, phase: "creating", steps: steps("creating") };
  }
  const version = versionOf(machine);
  const metadata = machine.config?.metadata ?? {};
  const checks = machine.checks ?? [];
  const passing = checks.length > 0 && checks.every((c) => c.status === "passing");
  const state = machine.state ?? "created";
  let phase: Phase;
  let message: string | undefined;
  let failedStep: StepKey | undefined;
  switch (state) {
    case "created":
      phase = "creating";
      break;
    case "started":
      phase = passing ? "ready" : "checking";
      if (!passing) message = "Waiting for the health check to pass";
      break;
    case "stopping":
    case "stopped":
    case "suspending":
    case "suspended":
      phase = "failed";
      failedStep = "start";
      message = `The machine ${state === "stopped" || state === "stopping" ? "stopped" : "was suspended"}`;
      break;
    case "failed":
      phase = "failed";
      failedStep = "start";
      message = "The machine failed to start";
      break;
    default: // starting, replacing, updating, launching
      phase = "starting";
  }
  const timeoutSeconds = Number(metadata.launcher_timeout ?? "0");
  if (
    phase !== "ready" &&
    phase !== "failed" &&
    timeoutSeconds > 0 &&
    now > ms(machine.created_at) + timeoutSeconds * 1000
  ) {
    return {
      ...base,
      // One past the state it timed out in: deterministic for every process reading it.
      version: version + 1,
      phase: "failed",
      steps: makeSteps({ keys: STEP_KEYS, phase: "failed", failedStep: stepOf(phase) }),
      error: `The instance did not pass its health check within ${timeoutSeconds} s`,
    };
  }
  const observation: Observation = {
    ...base,
    version,
    phase,
    steps: makeSteps({ keys: STEP_KEYS, phase, failedStep }),
  };
  if (phase === "ready")
    observation.url = `https://${app}.fly.dev${metadata.launcher_url_path ?? "/"}`;
  if (phase === "failed") observation.error = message;
  else if (message) observation.message = message;
  return observation;
}

function versionOf(machine: FlyMachine): number {
  return Math.max(
    1,
    ms(machine.created_at),
    ms(machine.updated_at),
    ...(machine.events ?? []).map((e) => ms(e.timestamp)),
    ...(machine.checks ?? []).map((c) => ms(c.updated_at)),
  );
}

function stepOf(phase: Phase): StepKey {
  return phase === "creating" ? "create" : phase === "starting" ? "start" : "check";
}

function steps(phase: Phase) {
  return makeSteps({ keys: STEP_KEYS, phase });
}
