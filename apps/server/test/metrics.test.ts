import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseKeyring, seal } from "@launcher/crypto-token";
import { createLocalDriver } from "@launcher/drivers/local";
import { BUNDLED_TEMPLATES } from "@launcher/drivers/templates";
import { makeTestKeys, startServer, type TestServer, waitFor } from "@launcher/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { follow, makeClient, within } from "./client.ts";
import { parsePrometheus, type Sample, sampleValue } from "./prometheus.ts";

const TOKEN = randomBytes(24).toString("base64url");
let server: TestServer;
let templatesDir: string;

beforeAll(async () => {
  // The bundled Scratchpads, and one whose app exits at once: a launch that fails.
  templatesDir = await mkdtemp(join(tmpdir(), "launcher-metrics-"));
  const templates = [
    ...BUNDLED_TEMPLATES.filter((t) => t.id === "scratchpad" || t.id === "scratchpad-slow"),
    {
      id: "crash",
      name: "Crash",
      description: "Exits before it is healthy.",
      drivers: {
        local: { command: ["{node}", "-e", "process.exit(3)"], healthPath: "/", timeout: 20 },
      },
    },
  ];
  await writeFile(join(templatesDir, "templates.json"), JSON.stringify(templates));
  server = await startServer({
    env: {
      LAUNCHER_FIXTURES: "1",
      LAUNCHER_TEMPLATES: join(templatesDir, "templates.json"),
      LAUNCHER_METRICS_TOKEN: TOKEN,
    },
  });
});
afterAll(async () => {
  await server?.dispose();
  await rm(templatesDir, { recursive: true, force: true });
});

async function scrape(headers: Record<string, string> = {}): Promise<Sample[]> {
  const response = await fetch(`${server.url}/metrics`, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await response.text());
}

/** Scrapes until `test` holds (counters are updated as the server's events settle). */
async function scrapeUntil(what: string, test: (samples: Sample[]) => boolean) {
  let last: Sample[] = [];
  await waitFor(
    async () => {
      last = await scrape();
      return test(last);
    },
    what,
    { timeoutMs: 20_000, everyMs: 100 },
  );
  return last;
}

describe("GET /metrics on a real server", () => {
  it("counts launches by outcome, their time to ready, open follows and refused tickets, with no secret or id in a label", async () => {
    const c = makeClient(server.url);
    const secrets: string[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const { ticket, id } = await c.client.launch.prepare.mutate({ template: "scratchpad" });
        const ready = await within(follow(c.client, { ticket }).done);
        expect(ready.phase).toBe("ready");
        secrets.push(ticket, id, ready.access!.credentials.password!);
      }
      const crash = await c.client.launch.prepare.mutate({ template: "crash" });
      secrets.push(crash.ticket, crash.id);
      expect((await within(follow(c.client, { ticket: crash.ticket }).done)).phase).toBe("failed");

      // Refusals: a tampered ticket followed and destroyed, a malformed one followed.
      const flip = (t: string, i: number) =>
        t.slice(0, i) + (t[i] === "A" ? "B" : "A") + t.slice(i + 1);
      const tampered = flip(crash.ticket, Math.floor(crash.ticket.length / 2));
      await expect(within(follow(c.client, { ticket: tampered }).done)).rejects.toThrow(/invalid/);
      await expect(c.client.launch.destroy.mutate({ ticket: tampered })).rejects.toThrow(/invalid/);
      await expect(within(follow(c.client, { ticket: `${crash.ticket}=` }).done)).rejects.toThrow(
        /malformed/,
      );
      const foreign = await seal(
        await parseKeyring(makeTestKeys("zz")),
        {
          v: 1,
          id: crash.id,
          template: "crash",
          driver: "local",
          createdAt: Date.now(),
          secrets: {},
        },
        { purpose: "launch", maxAge: 60 },
      );
      await expect(c.client.launch.destroy.mutate({ ticket: foreign })).rejects.toThrow(
        /unknown_key/,
      );

      // One follow held open mid-launch.
      const slow = await c.client.launch.prepare.mutate({ template: "scratchpad-slow" });
      secrets.push(slow.ticket, slow.id);
      const held = follow(c.client, { ticket: slow.ticket });
      await held.until((s) => s.phase === "creating" || s.phase === "starting");
      let samples = await scrapeUntil(
        "one follow open",
        (s) => sampleValue(s, "launcher_follows_active") === 1,
      );

      const launches = (template: string, outcome: string) =>
        sampleValue(samples, "launcher_launches_total", { template, driver: "local", outcome });
      expect(launches("scratchpad", "ready")).toBe(2);
      expect(launches("crash", "failed")).toBe(1);
      expect(launches("scratchpad", "failed")).toBeUndefined();
      expect(launches("crash", "ready")).toBeUndefined();
      const ready = { template: "scratchpad", driver: "local" };
      expect(sampleValue(samples, "launcher_launch_ready_seconds_count", ready)).toBe(2);
      expect(sampleValue(samples, "launcher_launch_ready_seconds_sum", ready)).toBeGreaterThan(0);
      expect(
        sampleValue(samples, "launcher_launch_ready_seconds_bucket", { ...ready, le: "+Inf" }),
      ).toBe(2);
      const refusals = (code: string) =>
        sampleValue(samples, "launcher_ticket_refusals_total", { code });
      expect(refusals("invalid")).toBe(2);
      expect(refusals("malformed")).toBe(1);
      expect(refusals("unknown_key")).toBe(1);
      expect(refusals("expired")).toBeUndefined();

      // Node's process metrics.
      for (const name of [
        "process_cpu_user_seconds_total",
        "process_resident_memory_bytes",
        "process_start_time_seconds",
        "nodejs_heap_size_used_bytes",
        "nodejs_eventloop_lag_seconds",
      ]) {
        expect(
          samples.some((s) => s.name === name),
          name,
        ).toBe(true);
      }

      // Labels name templates, drivers, outcomes and codes; nothing a user or a launch owns.
      const text = await (await fetch(`${server.url}/metrics`)).text();
      for (const secret of secrets) expect(text).not.toContain(secret);
      const launcherLabels = new Set(
        samples.filter((s) => s.name.startsWith("launcher_")).flatMap((s) => Object.keys(s.labels)),
      );
      expect([...launcherLabels].sort()).toEqual(["code", "driver", "le", "outcome", "template"]);

      held.stop();
      samples = await scrapeUntil(
        "no follow open",
        (s) => sampleValue(s, "launcher_follows_active") === 0,
      );
    } finally {
      c.close();
    }
  });

  it("counts instances on each platform that answers, and none for one that is not available", async () => {
    const samples = await scrapeUntil("instances counted", (s) =>
      s.some((x) => x.name === "launcher_instances"),
    );
    // What the platform itself lists (this server's state dir, read by a driver of its own).
    const platform = createLocalDriver({ stateDir: server.stateDir, workRoot: server.workDir });
    const listed = (await platform.list()).length;
    await scrapeUntil(
      "the local count to match the platform's",
      (s) => sampleValue(s, "launcher_instances", { driver: "local" }) === listed,
    );
    // No FLY_API_TOKEN and no kubeconfig here: unknown is not zero, so no series.
    expect(sampleValue(samples, "launcher_instances", { driver: "fly" })).toBeUndefined();
    expect(sampleValue(samples, "launcher_instances", { driver: "kubernetes" })).toBeUndefined();
  });

  it("is open to loopback, and to a forwarded request only with the bearer token", async () => {
    const url = `${server.url}/metrics`;
    expect((await fetch(url)).status).toBe(200);
    // What a reverse proxy on this host sends for a client elsewhere: not loopback's to read.
    const forwarded = { "x-forwarded-for": "203.0.113.7" };
    const refused = await fetch(url, { headers: forwarded });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
    expect(await refused.text()).toBe("");
    const wrong = await fetch(url, {
      headers: { ...forwarded, authorization: `Bearer ${TOKEN.slice(1)}x` },
    });
    expect(wrong.status).toBe(401);
    const withToken = await fetch(url, {
      headers: { ...forwarded, authorization: `Bearer ${TOKEN}` },
    });
    expect(withToken.status).toBe(200);
    expect(await withToken.text()).toContain("launcher_follows_active");
    expect((await fetch(url, { method: "POST" })).status).toBe(405);
    expect(server.output()).not.toContain(TOKEN);
  });

  it("believes a trusted proxy (LAUNCHER_TRUSTED_PROXIES) about whom it forwards for", async () => {
    await using behindProxy = await startServer({
      env: { LAUNCHER_TRUSTED_PROXIES: "127.0.0.1", LAUNCHER_METRICS_TOKEN: TOKEN },
    });
    const url = `${behindProxy.url}/metrics`;
    const forwardedFor = async (client: string) =>
      (await fetch(url, { headers: { "x-forwarded-for": client } })).status;
    expect(await forwardedFor("127.0.0.1")).toBe(200);
    expect(await forwardedFor("203.0.113.7")).toBe(401);
    expect(await forwardedFor("127.0.0.1, 203.0.113.7")).toBe(401);
  });
});
