import { randomBytes } from "node:crypto";

/**
 * The state behind the fake Machines API (`fake-fly.ts`): apps in organizations, their
 * secrets (values kept, never returned), IP assignments and machines. Machines change state
 * on their own as on Fly (created → starting → started; checks critical → passing; destroy:
 * destroying → destroyed), each change an event with a strictly growing platform time.
 */
export interface FakeMachine {
  id: string;
  name: string;
  state: string;
  region: string;
  instance_id: string;
  created_at: string;
  updated_at: string;
  config: Record<string, unknown> & { metadata?: Record<string, string> };
  events: { id: string; type: string; status: string; source: string; timestamp: number }[];
  checks: { name: string; status: string; output: string; updated_at: string }[];
}

export interface FakeApp {
  id: string;
  name: string;
  org: string;
  /** name → value; values never leave the fake over HTTP, as on Fly. */
  secrets: Map<string, { value: string; created_at: string; updated_at: string }>;
  secretsVersion: number;
  ips: { ip: string; shared: boolean; region: string; created_at: string }[];
  machines: Map<string, FakeMachine>;
}

export const hex = (bytes: number) => randomBytes(bytes).toString("hex");
const iso = (t: number) => new Date(t).toISOString();

export function createFakeFlyState(options: {
  stepMs: number;
  checkMs: number;
  destroyMs: number;
}) {
  const apps = new Map<string, FakeApp>();
  const timers = new Set<NodeJS.Timeout>();
  /** Called after every change made by a timer, so `wait` calls can look again. */
  const waiters = new Set<() => void>();
  let checkMs = options.checkMs;
  let clock = 0;
  /** Strictly increasing ms, like a platform clock that never repeats an event time. */
  const now = () => {
    clock = Math.max(clock + 1, Date.now());
    return clock;
  };
  const later = (ms: number, fn: () => void) => {
    if (!Number.isFinite(ms)) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
      for (const wake of waiters) wake();
    }, ms);
    timers.add(timer);
  };
  const setState = (machine: FakeMachine, state: string) => {
    const t = now();
    machine.state = state;
    machine.updated_at = iso(t);
    machine.events.unshift({
      id: hex(13),
      type: state,
      status: state,
      source: "flyd",
      timestamp: t,
    });
  };
  const scheduleChecks = (machine: FakeMachine) =>
    later(checkMs, () => {
      if (machine.state !== "started") return;
      for (const check of machine.checks) {
        check.status = "passing";
        check.updated_at = iso(now());
      }
    });

  return {
    apps,
    waiters,
    now,
    iso,
    createApp(name: string, org: string): FakeApp {
      const app: FakeApp = {
        id: hex(8),
        name,
        org,
        secrets: new Map(),
        secretsVersion: 0,
        ips: [],
        machines: new Map(),
      };
      apps.set(name, app);
      return app;
    },
    setSecrets(app: FakeApp, values: Record<string, string | null>): number {
      for (const [name, value] of Object.entries(values)) {
        const t = iso(now());
        if (value === null) app.secrets.delete(name);
        else
          app.secrets.set(name, {
            value,
            created_at: app.secrets.get(name)?.created_at ?? t,
            updated_at: t,
          });
      }
      return ++app.secretsVersion;
    },
    createMachine(app: FakeApp, body: Record<string, unknown>): FakeMachine {
      const t = now();
      const machine: FakeMachine = {
        id: hex(7),
        name: String(body.name ?? hex(6)),
        state: "created",
        region: String(body.region ?? "fra"),
        instance_id: hex(13),
        created_at: iso(t),
        updated_at: iso(t),
        config: body.config as FakeMachine["config"],
        events: [{ id: hex(13), type: "launch", status: "created", source: "user", timestamp: t }],
        checks: [],
      };
      const services = (machine.config.services ?? []) as { checks?: unknown[] }[];
      machine.checks = services.flatMap((s, i) =>
        (s.checks ?? []).map((_, j) => ({
          name: `servicecheck-${String(i).padStart(2, "0")}-http-${j}`,
          status: "critical",
          output: "connection refused",
          updated_at: iso(t),
        })),
      );
      app.machines.set(machine.id, machine);
      later(options.stepMs, () => {
        setState(machine, "starting");
        later(options.stepMs, () => {
          if (machine.state !== "starting") return;
          setState(machine, "started");
          scheduleChecks(machine);
        });
      });
      return machine;
    },
    destroyMachine(machine: FakeMachine): void {
      setState(machine, "destroying");
      later(options.destroyMs, () => setState(machine, "destroyed"));
    },
    /** Changes the machine's config (a metadata update): a new `updated_at`, no restart. */
    touch(machine: FakeMachine): void {
      machine.updated_at = iso(now());
    },
    passChecks(): void {
      checkMs = 0;
      for (const app of apps.values()) {
        for (const machine of app.machines.values()) scheduleChecks(machine);
      }
    },
    stop(): void {
      for (const timer of timers) clearTimeout(timer);
      for (const wake of waiters) wake();
    },
  };
}

export type FakeFlyState = ReturnType<typeof createFakeFlyState>;
