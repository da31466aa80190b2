import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A fake of the Fly Machines API for contract tests: a real HTTP server on 127.0.0.1
 * implementing, as documented, only the endpoints the Fly driver uses. Machines change
 * state asynchronously (created → starting → started, then checks critical → passing),
 * `wait` answers 408 when its (capped) timeout runs out, app and machine names are
 * unique (409), and faults can be injected per request (429 with Retry-After, 5xx).
 */
export interface FakeFlyOptions {
  token?: string;
  /** Delay of each machine state change. */
  stepMs?: number;
  /** Delay from `started` until the health check passes; `Infinity`: never. */
  checkMs?: number;
  /** `wait` never holds a request longer than this, whatever its timeout (to provoke 408). */
  waitCapMs?: number;
}

export interface FakeRequest {
  method: string;
  url: string;
  authorization?: string;
  body: string;
  /** The status the fake answered with. */
  status?: number;
}

interface Fault {
  method: string;
  path: RegExp;
  status: number;
  headers?: Record<string, string>;
  times: number;
}

interface Machine {
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

interface App {
  name: string;
  org: string;
  /** name → value; values never leave the fake over HTTP, as on Fly. */
  secrets: Map<string, { value: string; created_at: string; updated_at: string }>;
  secretsVersion: number;
  ips: { ip: string; shared: boolean; region: string; created_at: string }[];
  machines: Map<string, Machine>;
}

export interface FakeFly {
  url: string;
  token: string;
  requests: FakeRequest[];
  apps: Map<string, App>;
  /** Answer the next `times` requests matching method and path with `status`. */
  fail(fault: Omit<Fault, "times"> & { times?: number }): void;
  clearFaults(): void;
  /** Let health checks pass (after `checkMs: Infinity`). */
  passChecks(): void;
  close(): Promise<void>;
}

export async function startFakeFly(options: FakeFlyOptions = {}): Promise<FakeFly> {
  const token = options.token ?? "fake-fly-token";
  const stepMs = options.stepMs ?? 5;
  let checkMs = options.checkMs ?? 10;
  const waitCapMs = options.waitCapMs ?? 60_000;
  const apps = new Map<string, App>();
  const requests: FakeRequest[] = [];
  const faults: Fault[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<() => void>();
  let clock = 0;
  /** Strictly increasing ms, like a platform clock that never repeats an event time. */
  const now = () => {
    clock = Math.max(clock + 1, Date.now());
    return clock;
  };
  const iso = (t: number) => new Date(t).toISOString();
  const later = (ms: number, fn: () => void) => {
    if (!Number.isFinite(ms)) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
      for (const wake of waiters) wake();
    }, ms);
    timers.add(timer);
  };

  const setState = (machine: Machine, state: string) => {
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
  const scheduleChecks = (machine: Machine) =>
    later(checkMs, () => {
      if (machine.state !== "started") return;
      for (const check of machine.checks) {
        check.status = "passing";
        check.updated_at = iso(now());
      }
    });

  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      const entry: FakeRequest = {
        method: req.method ?? "GET",
        url: req.url ?? "/",
        authorization: req.headers.authorization,
        body,
      };
      requests.push(entry);
      res.on("finish", () => {
        entry.status = res.statusCode;
      });
      handle(req, res, body).catch((error: unknown) => send(res, 500, { error: String(error) }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const method = req.method ?? "GET";
    if (req.headers.authorization !== `Bearer ${token}`) {
      return send(res, 401, { error: "unauthorized" });
    }
    const fault = faults.find((f) => f.method === method && f.path.test(url.pathname));
    if (fault) {
      fault.times--;
      if (fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
      return send(res, fault.status, { error: "injected" }, fault.headers);
    }
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const parts = url.pathname.split("/").filter(Boolean); // v1, apps, {app}, ...
    if (parts[0] !== "v1" || parts[1] !== "apps") return send(res, 404, { error: "not found" });
    if (parts.length === 2 && method === "POST") {
      const name = String(body.app_name ?? body.name ?? "");
      if (apps.has(name)) return send(res, 409, { error: `app ${name} already exists` });
      apps.set(name, {
        name,
        org: String(body.org_slug),
        secrets: new Map(),
        secretsVersion: 0,
        ips: [],
        machines: new Map(),
      });
      return send(res, 201, { id: hex(8), created_at: now() });
    }
    const app = apps.get(parts[2] ?? "");
    if (!app) return send(res, 404, { error: "app not found" });
    const rest = parts.slice(3);

    if (rest.length === 0 && method === "GET")
      return send(res, 200, { name: app.name, status: "deployed" });
    if (rest.length === 0 && method === "DELETE") {
      apps.delete(app.name);
      return send(res, 202, {});
    }
    if (rest[0] === "secrets" && rest.length === 1) {
      if (method === "GET") {
        return send(res, 200, {
          secrets: [...app.secrets].map(([name, s]) => ({
            name,
            digest: hex(8),
            created_at: s.created_at,
            updated_at: s.updated_at,
          })),
        });
      }
      if (method === "POST") {
        const values = (body.values ?? {}) as Record<string, string | null>;
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
        app.secretsVersion++;
        return send(res, 200, {
          secrets: [...app.secrets.keys()].map((name) => ({ name })),
          version: app.secretsVersion,
        });
      }
    }
    if (rest[0] === "ip_assignments" && rest.length === 1) {
      if (method === "GET") return send(res, 200, { ips: app.ips });
      if (method === "POST") {
        const v6 = body.type === "v6";
        const ip = {
          ip: v6 ? `2a09:8280:1::${app.ips.length + 1}` : `66.241.124.${app.ips.length + 1}`,
          shared: body.type === "shared_v4",
          region: "global",
          created_at: iso(now()),
        };
        app.ips.push(ip);
        return send(res, 200, ip);
      }
    }
    if (rest[0] === "machines" && rest.length === 1) {
      if (method === "GET") {
        const includeDeleted = url.searchParams.get("include_deleted") === "true";
        const filters = [...url.searchParams].filter(([k]) => k.startsWith("metadata."));
        const list = [...app.machines.values()].filter(
          (m) =>
            (includeDeleted || m.state !== "destroyed") &&
            filters.every(([k, v]) => m.config.metadata?.[k.slice("metadata.".length)] === v),
        );
        return send(res, 200, list);
      }
      if (method === "POST") {
        const name = String(body.name ?? hex(6));
        const clash = [...app.machines.values()].find(
          (m) => m.name === name && m.state !== "destroyed",
        );
        if (clash) return send(res, 409, { error: `machine name ${name} already in use` });
        const t = now();
        const machine: Machine = {
          id: hex(7),
          name,
          state: "created",
          region: String(body.region ?? "fra"),
          instance_id: hex(13),
          created_at: iso(t),
          updated_at: iso(t),
          config: body.config as Machine["config"],
          events: [
            { id: hex(13), type: "launch", status: "created", source: "user", timestamp: t },
          ],
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
        later(stepMs, () => {
          setState(machine, "starting");
          later(stepMs, () => {
            if (machine.state !== "starting") return;
            setState(machine, "started");
            scheduleChecks(machine);
          });
        });
        return send(res, 200, machine);
      }
    }
    const machine = app.machines.get(rest[1] ?? "");
    if (rest[0] === "machines" && !machine) return send(res, 404, { error: "machine not found" });
    if (machine && rest.length === 2 && method === "GET") return send(res, 200, machine);
    if (machine && rest.length === 2 && method === "DELETE") {
      if (machine.state === "destroyed") return send(res, 404, { error: "machine not found" });
      if (machine.state === "started" && url.searchParams.get("force") !== "true") {
        return send(res, 412, {
          error: "failed_precondition: machine still active, refusing to destroy",
        });
      }
      setState(machine, "destroying");
      later(stepMs, () => setState(machine, "destroyed"));
      return send(res, 200, { ok: true });
    }
    if (machine && rest[2] === "wait" && method === "GET") {
      const state = url.searchParams.get("state") ?? "started";
      const timeoutMs = Math.min(Number(url.searchParams.get("timeout") ?? "60") * 1000, waitCapMs);
      const reached = await new Promise<boolean>((resolve) => {
        if (machine.state === state) return resolve(true);
        const wake = () => {
          if (machine.state === state) done(true);
        };
        const timer = setTimeout(() => done(false), timeoutMs);
        const done = (ok: boolean) => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(ok);
        };
        waiters.add(wake);
      });
      if (!reached)
        return send(res, 408, {
          error: "deadline_exceeded: timeout waiting for machine to be started",
        });
      return send(res, 200, { ok: true, state, version: machine.instance_id });
    }
    return send(res, 404, { error: `no route ${method} ${url.pathname}` });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests,
    apps,
    fail(fault) {
      faults.push({ ...fault, times: fault.times ?? 1 });
    },
    clearFaults() {
      faults.length = 0;
    },
    passChecks() {
      checkMs = 0;
      for (const app of apps.values()) {
        for (const machine of app.machines.values()) scheduleChecks(machine);
      }
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const wake of waiters) wake();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

const hex = (bytes: number) => randomBytes(bytes).toString("hex");
