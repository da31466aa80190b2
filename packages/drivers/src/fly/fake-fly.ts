import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type FakeRequest,
  type Fault,
  sendJson as send,
  startFakePlatformServer,
} from "../fake-platform-server.ts";
import { createFakeFlyState, type FakeApp, type FakeMachine, hex } from "./fake-fly-state.ts";
import { judgeFlyRequest } from "./fake-fly-validate.ts";

/**
 * A fake of the Fly Machines API for contract tests: a real HTTP server on 127.0.0.1 (with
 * request records and fault injection: `fake-platform-server.ts`) implementing, as documented, only the endpoints the Fly driver uses — apps (create, show
 * with its organization, delete with `force`, list by `org_slug` with `machine_count`), app
 * secrets (names and dates only), IP assignments, machines (list with `include_deleted`,
 * `region` and `metadata.{key}=value` filters; create; update; destroy; `wait`; metadata get, set and
 * delete). Machines change state asynchronously (`fake-fly-state.ts`), `wait` answers 408
 * when its (capped) timeout runs out, app names are global and machine names unique in an
 * app (409), and faults can be injected per request (429 with Retry-After, 5xx). Every request
 * is first judged against the Machines API's published schema (`fake-fly-validate.ts`) and
 * refused as the API refuses it: 400 (422 for an app) with `{ error }`.
 */
export interface FakeFlyOptions {
  token?: string;
  /** Delay of each machine state change. */
  stepMs?: number;
  /** Delay from `started` until the health check passes; `Infinity`: never. */
  checkMs?: number;
  /** `wait` never holds a request longer than this, whatever its timeout (to provoke 408). */
  waitCapMs?: number;
  /** How long a destroyed machine stays `destroying` (it stops its processes). Default `stepMs`. */
  destroyMs?: number;
}

export type { FakeApp, FakeMachine, FakeRequest };

export interface FakeFly {
  url: string;
  token: string;
  requests: FakeRequest[];
  /** Requests refused as the Machines API refuses them (400, or 422 for an invalid app). */
  refused: { method: string; url: string; status: number; error: string }[];
  apps: Map<string, FakeApp>;
  /** Answer the next `times` requests matching method and path with `status`. */
  fail(fault: Omit<Fault, "times"> & { times?: number }): void;
  clearFaults(): void;
  /** Let health checks pass (after `checkMs: Infinity`). */
  passChecks(): void;
  close(): Promise<void>;
}

export async function startFakeFly(options: FakeFlyOptions = {}): Promise<FakeFly> {
  const token = options.token ?? "fake-fly-token";
  const waitCapMs = options.waitCapMs ?? 60_000;
  const stepMs = options.stepMs ?? 5;
  const state = createFakeFlyState({
    stepMs,
    checkMs: options.checkMs ?? 10,
    destroyMs: options.destroyMs ?? stepMs,
  });
  const { apps } = state;
  const refused: FakeFly["refused"] = [];

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const method = req.method ?? "GET";
    const parts = url.pathname.split("/").filter(Boolean); // v1, apps, {app}, ...
    if (parts[0] !== "v1" || parts[1] !== "apps") return send(res, 404, { error: "not found" });
    const refusal = judgeFlyRequest(method, parts.slice(1).join("/"), raw, url.searchParams);
    if (refusal) {
      refused.push({
        method,
        url: url.pathname,
        status: refusal.status,
        error: refusal.body.error,
      });
      return send(res, refusal.status, refusal.body);
    }
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    if (parts.length === 2 && method === "GET") {
      const org = url.searchParams.get("org_slug");
      const listed = [...apps.values()]
        .filter((app) => app.org === org)
        .map((app) => ({
          id: app.id,
          name: app.name,
          machine_count: [...app.machines.values()].filter((m) => m.state !== "destroyed").length,
          network: "default",
        }));
      return send(res, 200, { total_apps: listed.length, apps: listed });
    }
    if (parts.length === 2 && method === "POST") {
      const name = String(body.name);
      if (apps.has(name)) {
        return send(res, 422, {
          error: `Name "${name}" has already been taken`,
          status: "name_taken",
        });
      }
      const app = state.createApp(name, String(body.org_slug));
      return send(res, 201, { id: app.id, created_at: state.now() });
    }
    const app = apps.get(parts[2] ?? "");
    if (!app) return send(res, 404, { error: "app not found" });
    const rest = parts.slice(3);

    if (rest.length === 0 && method === "GET") {
      return send(res, 200, {
        id: app.id,
        name: app.name,
        status: "deployed",
        organization: { name: app.org, slug: app.org },
      });
    }
    if (rest.length === 0 && method === "DELETE") {
      const live = [...app.machines.values()].some((m) => m.state === "started");
      if (live && url.searchParams.get("force") !== "true") {
        return send(res, 412, { error: "app has running machines; stop them or use force" });
      }
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
        const version = state.setSecrets(app, (body.values ?? {}) as Record<string, string | null>);
        return send(res, 200, {
          secrets: [...app.secrets.keys()].map((name) => ({ name })),
          version,
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
          created_at: state.iso(state.now()),
        };
        app.ips.push(ip);
        return send(res, 200, ip);
      }
    }
    if (rest[0] === "machines" && rest.length === 1) {
      if (method === "GET") {
        const includeDeleted = url.searchParams.get("include_deleted") === "true";
        const region = url.searchParams.get("region");
        const filters = [...url.searchParams].filter(([k]) => k.startsWith("metadata."));
        const list = [...app.machines.values()].filter(
          (m) =>
            (includeDeleted || m.state !== "destroyed") &&
            (!region || m.region === region) &&
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
        return send(res, 200, state.createMachine(app, body));
      }
    }
    const machine = app.machines.get(rest[1] ?? "");
    if (rest[0] === "machines" && !machine) return send(res, 404, { error: "machine not found" });
    if (machine) return handleMachine(res, url, method, body, machine, rest.slice(2));
    return send(res, 404, { error: `no route ${method} ${url.pathname}` });
  }

  async function handleMachine(
    res: ServerResponse,
    url: URL,
    method: string,
    body: Record<string, unknown>,
    machine: FakeMachine,
    rest: string[],
  ): Promise<void> {
    if (rest.length === 0 && method === "GET") return send(res, 200, machine);
    if (rest.length === 0 && method === "POST") {
      // An update: the new config is the machine's next version (Fly also restarts it then;
      // the driver never updates a machine, so that is not modelled).
      machine.config = body.config as FakeMachine["config"];
      machine.instance_id = hex(13);
      state.touch(machine);
      return send(res, 200, machine);
    }
    if (rest.length === 0 && method === "DELETE") {
      if (machine.state === "destroyed") return send(res, 404, { error: "machine not found" });
      if (machine.state === "started" && url.searchParams.get("force") !== "true") {
        return send(res, 412, {
          error: "failed_precondition: machine still active, refusing to destroy",
        });
      }
      state.destroyMachine(machine);
      return send(res, 200, { ok: true });
    }
    if (rest[0] === "metadata") {
      machine.config.metadata ??= {};
      const key = rest[1];
      if (!key && method === "GET") return send(res, 200, machine.config.metadata);
      if (key && method === "POST") {
        if (typeof body.value !== "string") return send(res, 400, { error: "value is required" });
        machine.config.metadata[key] = body.value;
        state.touch(machine);
        return send(res, 204, undefined);
      }
      if (key && method === "DELETE") {
        delete machine.config.metadata[key];
        state.touch(machine);
        return send(res, 204, undefined);
      }
    }
    if (rest[0] === "wait" && method === "GET") {
      const wanted = url.searchParams.get("state") ?? "started";
      const timeoutMs = Math.min(Number(url.searchParams.get("timeout") ?? "60") * 1000, waitCapMs);
      const reached = await new Promise<boolean>((resolve) => {
        if (machine.state === wanted) return resolve(true);
        const wake = () => {
          if (machine.state === wanted) done(true);
        };
        const timer = setTimeout(() => done(false), timeoutMs);
        const done = (ok: boolean) => {
          clearTimeout(timer);
          state.waiters.delete(wake);
          resolve(ok);
        };
        state.waiters.add(wake);
      });
      if (!reached) {
        return send(res, 408, {
          error: `deadline_exceeded: timeout waiting for machine to be ${wanted}`,
        });
      }
      return send(res, 200, { ok: true, state: wanted, version: machine.instance_id });
    }
    return send(res, 404, { error: `no route ${method} ${url.pathname}` });
  }

  const base = await startFakePlatformServer({
    token,
    refuse: (res, status, headers) =>
      send(res, status, { error: status === 401 ? "unauthorized" : "injected" }, headers),
    handle,
    crashed: (res, error) => send(res, 500, { error: String(error) }),
  });
  return {
    url: base.url,
    token,
    requests: base.requests,
    refused,
    apps,
    fail: base.fail,
    clearFaults: base.clearFaults,
    passChecks: () => state.passChecks(),
    async close() {
      state.stop();
      await base.close();
    },
  };
}
