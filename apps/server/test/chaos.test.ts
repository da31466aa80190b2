import { randomInt } from "node:crypto";
import type { Snapshot } from "@launcher/api";
import { readTree, startServer } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import { basicAuth, type Followed, follow, makeClient, within } from "./client.ts";
import {
  describeRecord,
  instanceProcesses,
  seededRandom,
  strictlyIncreasing,
  waitFor,
} from "./harness.ts";

const LAUNCHES = 40;
const CLIENTS = 4;
const KILLS = 3;
const SEED = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : randomInt(2 ** 31);
console.log(`chaos seed ${SEED} (replay with CHAOS_SEED=${SEED})`);

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(`chaos: ${LAUNCHES} launches while the server is stopped ${KILLS} times (seed ${SEED})`, () => {
  for (const signal of ["SIGKILL", "SIGTERM"] as const) {
    it(`every launch ends ready, once, with ${signal} at random moments`, async () => {
      const random = seededRandom(SEED + (signal === "SIGKILL" ? 0 : 1));
      const server = await startServer({ env: { LAUNCHER_FIXTURES: "1" } });
      const clients = Array.from({ length: CLIENTS }, () => makeClient(server.url));
      try {
        const tickets = await Promise.all(
          Array.from({ length: LAUNCHES }, (_, i) =>
            clients[i % CLIENTS]!.client.launch.prepare.mutate({
              // A third hold in "creating" for a while, so that kills land mid-launch too.
              template: random() < 0.33 ? "scratchpad-slow" : "scratchpad",
            }),
          ),
        );
        await waitFor(() => clients.every((c) => c.isOpen()), "clients to connect");

        // Launches start at seeded moments over 2.5 s while the kills happen.
        const followers: Followed[] = [];
        const started = tickets.map(({ ticket }, i) =>
          delay(random() * 2500).then(() => {
            followers[i] = follow(clients[i % CLIENTS]!.client, { ticket });
          }),
        );
        for (let k = 0; k < KILLS; k++) {
          await delay(200 + random() * 1300);
          await server.kill(signal);
          await server.restart();
          // The next kill comes once every client follows again (a condition, not a guess).
          await waitFor(() => clients.every((c) => c.isOpen()), "clients to reconnect");
        }
        await Promise.all(started);

        const finals = await within(Promise.all(followers.map((f) => f.done)), 60_000);
        for (const [i, f] of followers.entries()) {
          const final = finals[i]! as Snapshot;
          expect(f.errors, `launch ${i}`).toEqual([]);
          if (final.phase !== "ready") {
            const record = await describeRecord(server.stateDir, final.id);
            const phases = f.snapshots.map((s) => s.phase).join(",");
            expect.fail(
              `launch ${i} ended ${final.phase} (${final.error}); saw ${phases}\n${record}`,
            );
          }
          expect(f.ids, `launch ${i}`).toEqual(f.snapshots.map((s) => String(s.version)));
          expect(new Set(f.ids).size, `launch ${i}: ids ${f.ids}`).toBe(f.ids.length);
          expect(strictlyIncreasing(f.snapshots.map((s) => s.version)), `launch ${i}`).toBe(true);
        }

        const passwords = finals.map((s) => s.access!.credentials.password!);
        const statuses = await Promise.all(
          finals.map(async (s, i) => {
            const res = await fetch(s.access!.url, { headers: basicAuth(passwords[i]!) });
            await res.arrayBuffer();
            return res.status;
          }),
        );
        expect(statuses).toEqual(finals.map(() => 200));

        // Exactly one monitor and one app per launch, the app the monitor's child; nothing else.
        const processes = await instanceProcesses(server.stateDir, server.workDir);
        const ids = finals.map((s) => s.id).sort();
        const monitors = processes.filter((p) => p.kind === "monitor");
        const apps = processes.filter((p) => p.kind === "app");
        expect(monitors.map((p) => p.id).sort()).toEqual(ids);
        expect(apps.map((p) => p.id).sort()).toEqual(ids);
        for (const app of apps) {
          const launch = finals.find((s) => s.id === app.id)!;
          expect(app.password).toBe(launch.access!.credentials.password);
          expect(monitors.find((m) => m.id === app.id)?.pid).toBe(app.ppid);
        }

        const files = await readTree(server.stateDir);
        const output = server.output();
        for (const password of passwords) {
          for (const file of files) expect(file.text, file.path).not.toContain(password);
          expect(output).not.toContain(password);
        }

        if (signal === "SIGTERM") {
          // Each client was connected at each shutdown and was told to reconnect.
          for (const c of clients) expect(c.notifications).toHaveLength(KILLS);
        }

        const destroyed = await Promise.all(
          tickets.map(({ ticket }, i) =>
            clients[i % CLIENTS]!.client.launch.destroy.mutate({ ticket }),
          ),
        );
        expect(destroyed.every((d) => d.phase === "destroyed")).toBe(true);
        await waitFor(
          async () => (await instanceProcesses(server.stateDir, server.workDir)).length === 0,
          "every instance process to end",
          { timeoutMs: 15_000, everyMs: 200 },
        );
      } finally {
        for (const c of clients) c.close();
        await server.dispose();
      }
    }, 120_000);
  }
});
