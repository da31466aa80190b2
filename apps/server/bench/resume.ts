/**
 * `pnpm bench:resume`: how the resume path holds up at scale, against the real built
 * server as a child process (the same harness as the integration tests).
 *
 *   1. Refresh storm: 1,000 followers over 20 WebSocket connections resume right after a
 *      kill -9 and restart (ticket + lastEventId): time until each has its next snapshot.
 *   2. Capacity: 1,000 then 10,000 open subscriptions in one server process: RSS per
 *      subscription and CPU while idle.
 *   3. Live followers across a restart: 1,000 subscriptions to launches held open, kill -9
 *      and restart: time until all follow again; then a destroy reaches every one of them.
 *
 * Sizes: BENCH_FOLLOWERS (1000), BENCH_CAPACITY (1000,10000), BENCH_LAUNCHES (10 per kind).
 */
import { readFile } from "node:fs/promises";
import { cpus } from "node:os";
import { startServer, type TestServer } from "@launcher/testing";
import { type Follower, RawClient } from "./raw-client.ts";

const FOLLOWERS = Number(process.env.BENCH_FOLLOWERS ?? 1000);
const CAPACITY = (process.env.BENCH_CAPACITY ?? "1000,10000").split(",").map(Number);
const LAUNCHES = Number(process.env.BENCH_LAUNCHES ?? 10);
const CONNECTIONS = 20;
const TIMEOUT_MS = 60_000;

const now = () => performance.now();
const ms = (x: number) => `${Math.round(x)} ms`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

async function waitUntil(test: () => boolean, what: string, timeoutMs = TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function procStat(pid: number) {
  const [status, stat] = await Promise.all([
    readFile(`/proc/${pid}/status`, "utf8"),
    readFile(`/proc/${pid}/stat`, "utf8"),
  ]);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    rss: Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024,
    cpuTicks: Number(fields[11]) + Number(fields[12]),
  };
}

/** CPU the server used over `windowMs` while nothing happened, in % of one core. */
async function idleCpu(pid: number, windowMs = 5000): Promise<number> {
  const before = await procStat(pid);
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const after = await procStat(pid);
  return ((after.cpuTicks - before.cpuTicks) / 100 / (windowMs / 1000)) * 100; // USER_HZ = 100
}

async function prepare(server: TestServer, template: string): Promise<string> {
  const res = await fetch(`${server.url}/trpc/launch.prepare`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ template }),
  });
  const body = (await res.json()) as { result?: { data: { ticket: string } }; error?: unknown };
  if (!body.result) throw new Error(`prepare failed: ${JSON.stringify(body.error)}`);
  return body.result.data.ticket;
}

const wsUrl = (server: TestServer) => `${server.url.replace("http", "ws")}/trpc`;

async function openClients(server: TestServer, count: number, reconnect = false) {
  const clients = Array.from({ length: count }, () => new RawClient(wsUrl(server), { reconnect }));
  await Promise.all(clients.map((c) => c.open()));
  return clients;
}

/** Launches in a known state: `ready` ones (Scratchpad) and ones held open (fixture). */
async function makeLaunches(server: TestServer) {
  const [client] = await openClients(server, 1);
  const launch = async (template: string, until: (f: Follower) => boolean) => {
    const tickets = await Promise.all(
      Array.from({ length: LAUNCHES }, () => prepare(server, template)),
    );
    const followers = tickets.map((t) => client!.follow(t));
    await waitUntil(() => followers.every(until), `${template} launches`);
    return followers.map((f) => ({ ticket: f.ticket, version: f.lastEventId! }));
  };
  const ready = await launch("scratchpad", (f) => f.phases.includes("ready"));
  const held = await launch("scratchpad-held", (f) => f.phases.some((p) => p !== "preparing"));
  client!.close();
  return { ready, held };
}

function report(title: string, lines: [string, string][]) {
  console.log(`\n${title}`);
  for (const [name, value] of lines) console.log(`  ${name.padEnd(34)} ${value}`);
}

async function refreshStorm(
  server: TestServer,
  launches: Awaited<ReturnType<typeof makeLaunches>>,
) {
  // Half refresh a summary page (ready: the terminal snapshot comes once more), half a
  // page that last saw `preparing` of a launch still open (the current snapshot comes).
  const plan = Array.from({ length: FOLLOWERS }, (_, i) => {
    const pool = i % 2 === 0 ? launches.ready : launches.held;
    const launch = pool[Math.floor(i / 2) % pool.length]!;
    return { ticket: launch.ticket, lastEventId: i % 2 === 0 ? launch.version : "0" };
  });
  await server.kill("SIGKILL");
  await server.restart();
  const t0 = now();
  const clients = await openClients(server, CONNECTIONS);
  const connected = now() - t0;
  const followers = plan.map((p, i) => clients[i % CONNECTIONS]!.follow(p.ticket, p.lastEventId));
  let timedOut = false;
  await waitUntil(
    () => followers.every((f) => f.firstEventAt !== undefined || f.errors.length > 0),
    "the storm",
    30_000,
  ).catch(() => {
    timedOut = true;
  });
  // Let the ready ones complete, so a repeat would show.
  await waitUntil(
    () => followers.every((f, i) => i % 2 === 1 || f.stopped),
    "completion",
    5000,
  ).catch(() => {});
  const latencies = followers.flatMap((f) => (f.firstEventAt ? [f.firstEventAt - t0] : []));
  const lost = followers.filter((f) => f.firstEventAt === undefined).length;
  const repeated = followers.filter((f, i) => {
    const ids = f.ids.map(Number);
    if (new Set(ids).size !== ids.length) return true;
    return i % 2 === 0 ? ids.length > 1 : ids.some((id) => id <= 0);
  }).length;
  const errors = followers.reduce((n, f) => n + f.errors.length, 0);
  for (const c of clients) c.close();
  report(
    `1. Refresh storm: ${FOLLOWERS} followers over ${CONNECTIONS} connections resume after kill -9 + restart`,
    [
      [
        "all have their next snapshot after",
        timedOut ? "not within 30 s" : ms(Math.max(...latencies)),
      ],
      [
        "per follower p50 / p99",
        `${ms(percentile(latencies, 50))} / ${ms(percentile(latencies, 99))}`,
      ],
      [`of which ${CONNECTIONS} connections open in`, ms(connected)],
      ["lost / repeated / errors", `${lost} / ${repeated} / ${errors}`],
    ],
  );
}

async function capacity(server: TestServer, held: { ticket: string }[]) {
  const pid = server.pid!;
  const base = await procStat(pid);
  const rows: [string, string][] = [["server RSS, no subscription", mib(base.rss)]];
  let clients: RawClient[] = [];
  let followers: Follower[] = [];
  for (const target of CAPACITY) {
    // 20 connections for 1,000; 200 subscriptions per connection beyond.
    const connections = Math.max(CONNECTIONS, Math.ceil(target / 200));
    clients = [...clients, ...(await openClients(server, connections - clients.length))];
    const start = followers.length;
    for (let i = start; i < target; i++) {
      followers.push(clients[i % clients.length]!.follow(held[i % held.length]!.ticket));
    }
    const t0 = now();
    await waitUntil(
      () => followers.every((f) => f.firstEventAt !== undefined || f.errors.length > 0),
      `${target} subscriptions`,
    );
    const opened = now() - t0;
    const errors = followers.reduce((n, f) => n + f.errors.length, 0);
    const cpu = await idleCpu(pid);
    const { rss } = await procStat(pid);
    rows.push(
      [
        `${target} open (${clients.length} connections)`,
        `all served in ${ms(opened)}, ${errors} errors`,
      ],
      [
        `  server RSS`,
        `${mib(rss)}: ${((rss - base.rss) / target / 1024).toFixed(1)} KB per subscription`,
      ],
      [`  CPU while idle`, `${cpu.toFixed(1)} % of one core`],
    );
  }
  for (const c of clients) c.close();
  followers = [];
  report("2. Capacity: open subscriptions in one server process", rows);
}

async function liveAcrossRestart(server: TestServer, held: { ticket: string }[]) {
  const clients = await openClients(server, CONNECTIONS, true);
  const followers = Array.from({ length: FOLLOWERS }, (_, i) =>
    clients[i % CONNECTIONS]!.follow(held[i % held.length]!.ticket),
  );
  await waitUntil(() => followers.every((f) => f.firstEventAt !== undefined), "followers");
  const before = followers.map((f) => f.ids.length);
  await server.kill("SIGKILL");
  await server.restart();
  const t0 = now();
  // They follow again when the server has taken their resubscription (ticket + lastEventId).
  await waitUntil(
    () => followers.every((f) => f.startedAt !== undefined && f.startedAt > t0 - 1),
    "resubscriptions",
  );
  const resumed = followers.map((f) => f.startedAt! - t0);
  const spurious = followers.filter((f, i) => f.ids.length !== before[i]).length;
  // Proof that each is really followed: a destroy reaches every follower once.
  const t1 = now();
  await Promise.all(
    held.map((h) =>
      fetch(`${server.url}/trpc/launch.destroy`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ticket: h.ticket }),
      }).then((r) => r.arrayBuffer()),
    ),
  );
  await waitUntil(() => followers.every((f) => f.phases.at(-1) === "destroyed"), "destroyed").catch(
    () => {},
  );
  const delivered = followers.filter((f) => f.phases.at(-1) === "destroyed").length;
  const tDestroyed = now() - t1;
  const repeated = followers.filter((f) => new Set(f.ids).size !== f.ids.length).length;
  const errors = followers.reduce((n, f) => n + f.errors.length, 0);
  for (const c of clients) c.close();
  report(
    `3. Live followers across a restart: ${FOLLOWERS} subscriptions to ${held.length} open launches, kill -9 + restart`,
    [
      ["all follow again after", ms(Math.max(...resumed))],
      ["per follower p50 / p99", `${ms(percentile(resumed, 50))} / ${ms(percentile(resumed, 99))}`],
      ["stale snapshots resent on resume", String(spurious)],
      [`then destroy: delivered to`, `${delivered} / ${FOLLOWERS} in ${ms(tDestroyed)}`],
      ["repeated event ids / errors", `${repeated} / ${errors}`],
    ],
  );
}

async function main() {
  const server = await startServer({
    env: {
      LAUNCHER_FIXTURES: "1",
      LAUNCHER_LOG_LEVEL: "info",
      // A benchmark prepares and follows far more than a person: lift the limits.
      LAUNCHER_PREPARE_LIMIT: "1000000",
      LAUNCHER_UNSEAL_LIMIT: "1000000",
    },
  });
  try {
    console.log(
      `bench:resume — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}`,
    );
    const launches = await makeLaunches(server);
    await refreshStorm(server, launches);
    await capacity(server, launches.held);
    await liveAcrossRestart(server, launches.held);
  } finally {
    await server.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
