import type { Snapshot } from "@launcher/api";
import { describe, expect, it } from "vitest";
import { basicAuth, follow, makeClient, within } from "./client.ts";
import { instanceProcesses, strictlyIncreasing, waitFor } from "./harness.ts";
import { NGINX, startReplicas, upstreamOf } from "./nginx.ts";

const LAUNCHES = 12;
const CLIENTS = 4;

// Skipped locally without nginx; in CI never (it fails instead: scripts/ci-deps.sh installs it).
describe.skipIf(!NGINX && !process.env.CI)("two replicas behind nginx", () => {
  it("fails over: followers of a replica killed mid-launch resume on the other, and it comes back", async () => {
    const { a, b, lb } = await startReplicas();
    // As browsers on nginx's page would: their Origin is nginx's, not a replica's.
    const clients = Array.from({ length: CLIENTS }, () => makeClient(lb.url, { origin: lb.url }));
    try {
      await waitFor(() => clients.every((c) => c.isOpen()), "clients to connect through nginx");
      // Round robin: both replicas answer.
      const seen = new Set<number>();
      for (let i = 0; i < 4; i++) seen.add(await upstreamOf(lb.url));
      expect([...seen].sort()).toEqual([a.port, b.port].sort());

      const tickets = await Promise.all(
        Array.from({ length: LAUNCHES }, (_, i) =>
          clients[i % CLIENTS]!.client.launch.prepare.mutate({ template: "scratchpad-slow" }),
        ),
      );
      const followers = tickets.map(({ ticket }, i) =>
        follow(clients[i % CLIENTS]!.client, { ticket }),
      );
      await Promise.all(
        followers.map((f) => f.until((s) => s.phase === "creating" || s.phase === "starting")),
      );
      await a.kill("SIGKILL");

      const finals = (await within(
        Promise.all(followers.map((f) => f.done)),
        45_000,
      )) as Snapshot[];
      // Some connections were on the killed replica, and came back through nginx.
      expect(clients.some((c) => c.states.join(",").includes("open,close,open"))).toBe(true);
      for (const [i, f] of followers.entries()) {
        expect(f.errors, `launch ${i}`).toEqual([]);
        expect(finals[i]!.phase, `launch ${i}: ${finals[i]!.error ?? ""}`).toBe("ready");
        expect(new Set(f.ids).size, `launch ${i}`).toBe(f.ids.length);
        expect(strictlyIncreasing(f.snapshots.map((s) => s.version)), `launch ${i}`).toBe(true);
      }
      for (const s of finals) {
        const res = await fetch(s.access!.url, {
          headers: basicAuth(s.access!.credentials.password!),
        });
        await res.arrayBuffer();
        expect(res.status).toBe(200);
      }
      // One instance per launch, whichever replica started it.
      const processes = [
        ...(await instanceProcesses(a.stateDir, a.workDir)),
        ...(await instanceProcesses(a.stateDir, b.workDir)).filter((p) => p.kind === "app"),
      ];
      const ids = finals.map((s) => s.id).sort();
      const apps = processes.filter((p) => p.kind === "app").map((p) => p.id);
      expect(apps.sort()).toEqual(ids);
      expect(
        processes
          .filter((p) => p.kind === "monitor")
          .map((p) => p.id)
          .sort(),
      ).toEqual(ids);

      // The killed replica comes back and nginx sends it traffic again.
      await a.restart();
      await waitFor(
        async () => (await upstreamOf(lb.url)) === a.port,
        "traffic on the revived replica",
        {
          timeoutMs: 15_000,
          everyMs: 200,
        },
      );
      // New launches through nginx are served too (by either replica; round robin).
      const fresh = makeClient(lb.url, { origin: lb.url });
      try {
        const { ticket } = await fresh.client.launch.prepare.mutate({ template: "scratchpad" });
        expect((await within(follow(fresh.client, { ticket }).done)).phase).toBe("ready");
      } finally {
        fresh.close();
      }
    } finally {
      for (const c of clients) c.close();
      await lb.stop();
      await b.kill();
      await a.dispose();
      await b.dispose();
    }
  }, 90_000);
});
