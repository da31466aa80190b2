import { DriverError } from "../driver.ts";
import type { FlyApi } from "./fly-api.ts";

/** A machine as the Machines API returns it (only the fields the driver reads). */
export interface FlyMachine {
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

/** An app secret as listed: its name and dates; Fly never returns a value. */
export interface FlySecret {
  name?: string;
  created_at?: string;
  updated_at?: string;
}

/** An app in the org's list. `machine_count` counts machines that are not destroyed. */
export interface FlyAppSummary {
  name: string;
  machine_count?: number;
}

/** Whether anything of the machine may still run: every state but `destroyed`. */
export const runs = (machine: FlyMachine): boolean => machine.state !== "destroyed";
/** Whether the machine is being, or has been, destroyed: deleting it again is pointless. */
export const isGoing = (machine: FlyMachine): boolean =>
  machine.state === "destroying" || machine.state === "destroyed";

/**
 * The Machines API endpoints the Fly driver uses, typed, with the statuses that are answers
 * rather than errors (404 for a missing app, 409 for a name already taken, 408 for a wait
 * that ran out) turned into values.
 */
export function createFlyPlatform(api: FlyApi, org: string) {
  const { request } = api;
  return {
    /** The app's machines (destroyed ones too, when asked), or `undefined` when there is no app. */
    async listMachines(
      app: string,
      filter: { metadata?: Record<string, string>; includeDeleted?: boolean } = {},
      signal?: AbortSignal,
    ): Promise<FlyMachine[] | undefined> {
      const query = new URLSearchParams();
      if (filter.includeDeleted) query.set("include_deleted", "true");
      for (const [key, value] of Object.entries(filter.metadata ?? {})) {
        query.set(`metadata.${key}`, value);
      }
      const listed = await request<FlyMachine[]>("GET", `/apps/${app}/machines?${query}`, {
        expect: [404],
        signal,
      });
      return listed.status === 404 ? undefined : (listed.body ?? []);
    },

    /** The org's apps. */
    async listApps(signal?: AbortSignal): Promise<FlyAppSummary[]> {
      const query = new URLSearchParams({ org_slug: org });
      const listed = await request<{ apps?: FlyAppSummary[] }>("GET", `/apps?${query}`, {
        signal,
      });
      return listed.body?.apps ?? [];
    },

    /** Creates an app in the org; one that exists already is fine (another launcher made it). */
    async createApp(app: string): Promise<void> {
      // The docs name the field `app_name`; the current OpenAPI spec calls it `name`. Both are sent.
      const created = await request<{ error?: string; status?: string }>("POST", "/apps", {
        body: { app_name: app, name: app, org_slug: org },
        expect: [409, 422],
      });
      // 422 is "rejected by validation": a name taken (by a twin launcher) or an invalid request.
      const taken =
        created.body?.status === "name_taken" ||
        /already|taken|exists/i.test(created.body?.error ?? "");
      if (created.status === 422 && !taken) {
        throw new DriverError(
          "bad_spec",
          `Fly.io refused to create app ${app}: ${created.body?.error}`,
        );
      }
    },

    /** The slug of the org an app belongs to, or `undefined` when this token cannot see it. */
    async appOrg(app: string): Promise<string | undefined> {
      const shown = await request<{ organization?: { slug?: string } }>("GET", `/apps/${app}`, {
        expect: [404],
      });
      return shown.status === 404 ? undefined : shown.body?.organization?.slug;
    },

    /** Deletes an app and all it holds (secrets, IPs). A missing app is fine. */
    async deleteApp(app: string): Promise<void> {
      await request("DELETE", `/apps/${app}?force=true`, { expect: [404] });
    },

    /** The app's secrets (names and dates), or `undefined` when there is no app. */
    async listSecrets(app: string, signal?: AbortSignal): Promise<FlySecret[] | undefined> {
      const listed = await request<{ secrets?: FlySecret[] }>("GET", `/apps/${app}/secrets`, {
        expect: [404],
        signal,
      });
      return listed.status === 404 ? undefined : (listed.body?.secrets ?? []);
    },

    /**
     * Sets (a string) or unsets (`null`) app secrets in one call; returns the secrets version a
     * machine must be created at to see them, or `undefined` when there is no app.
     */
    async setSecrets(
      app: string,
      values: Readonly<Record<string, string | null>>,
    ): Promise<{ version?: number } | undefined> {
      const set = await request<{ version?: number }>("POST", `/apps/${app}/secrets`, {
        body: { values },
        expect: [404],
      });
      return set.status === 404 ? undefined : { version: set.body?.version };
    },

    /** Makes the app reachable at `<app>.fly.dev`: a shared IPv4 and an IPv6 address. */
    async ensureIps(app: string): Promise<void> {
      const listed = await request<{ ips?: { ip?: string; shared?: boolean }[] }>(
        "GET",
        `/apps/${app}/ip_assignments`,
      );
      const ips = listed.body?.ips ?? [];
      if (!ips.some((ip) => ip.shared && !ip.ip?.includes(":"))) {
        await request("POST", `/apps/${app}/ip_assignments`, { body: { type: "shared_v4" } });
      }
      if (!ips.some((ip) => ip.ip?.includes(":"))) {
        await request("POST", `/apps/${app}/ip_assignments`, { body: { type: "v6" } });
      }
    },

    /** Creates a machine; a name already in use (409) means a twin launcher got there first. */
    async createMachine(app: string, body: unknown): Promise<void> {
      await request("POST", `/apps/${app}/machines`, { body, expect: [409] });
    },

    async destroyMachine(app: string, machineId: string): Promise<void> {
      await request("DELETE", `/apps/${app}/machines/${machineId}?force=true`, {
        expect: [404],
      });
    },

    /** Adds or replaces one metadata entry of a machine, without restarting it. */
    async setMetadata(app: string, machineId: string, key: string, value: string): Promise<void> {
      await request("POST", `/apps/${app}/machines/${machineId}/metadata/${key}`, {
        body: { value },
      });
    },

    /** Long-polls until the machine is `started`: true when it is, false when the wait ran out. */
    async waitStarted(
      app: string,
      machineId: string,
      timeoutSeconds: number,
      signal?: AbortSignal,
    ): Promise<boolean> {
      const waited = await request(
        "GET",
        `/apps/${app}/machines/${machineId}/wait?state=started&timeout=${timeoutSeconds}`,
        { expect: [408], signal },
      );
      return waited.status !== 408;
    },
  };
}

export type FlyPlatform = ReturnType<typeof createFlyPlatform>;
