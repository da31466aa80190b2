import { seededRandom } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import { createQuotas, type Quotas } from "./quota.ts";

interface Listed {
  id: string;
  owner: string;
  phase: "starting";
}

/**
 * One platform shared by several replicas, each with its own quotas, as the server runs them.
 * A listing reads the platform when it begins and answers a few turns of the event loop later
 * (a slow engine); a launch's `ensure` writes the instance on the platform a few turns after it
 * starts, and ends a few turns after that. Every pause is drawn from `random`.
 */
function cluster(replicas: number, limits: { perUser: number; global: number }, seed: number) {
  const random = seededRandom(seed);
  const platform: Listed[] = [];
  const pause = async () => {
    for (let n = Math.floor(random() * 4); n > 0; n--) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const list = async () => {
    const seen = [...platform];
    await pause();
    return seen;
  };
  const quotas: Quotas[] = Array.from({ length: replicas }, () =>
    createQuotas({ ...limits, list }),
  );
  let next = 0;
  const never = new AbortController().signal;
  /** A follow of a new ticket on one replica, as the launch session runs it: true if it started. */
  const launch = async (replica: number, owner: string) => {
    const id = (next++).toString(16).padStart(32, "0");
    await pause();
    const admission = await quotas[replica]!.admit(owner, id).catch(() => undefined);
    if (!admission) return false;
    try {
      await admission.turn(never);
    } catch {
      admission.end();
      return false;
    }
    await pause();
    platform.push({ id, owner, phase: "starting" });
    await pause();
    admission.end();
    return true;
  };
  return { platform, launch, quotas };
}

describe("quotas across replicas", () => {
  it("start at most one more per extra replica for one user, however their launches interleave", async () => {
    const most = new Map<number, number>();
    for (let seed = 1; seed <= 40; seed++) {
      const replicas = 2 + (seed % 2);
      const { platform, launch, quotas } = cluster(replicas, { perUser: 3, global: 100 }, seed);
      const follows = Array.from({ length: 12 }, (_, n) => launch(n % replicas, "ada"));
      const started = (await Promise.all(follows)).filter(Boolean).length;
      expect(started).toBe(platform.length);
      expect(started).toBeGreaterThanOrEqual(3);
      expect(started).toBeLessThanOrEqual(3 + replicas - 1);
      most.set(replicas, Math.max(most.get(replicas) ?? 0, started));
      for (const q of quotas) expect(q.held).toBe(0);
    }
    // Not a bound that merely happens to hold: replicas do get past the limit, never further.
    expect(most.get(2)).toBe(4);
  });

  it("start at most one more per extra replica in all, however users' launches interleave", async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const replicas = 2 + (seed % 2);
      const { launch } = cluster(replicas, { perUser: 100, global: 4 }, seed);
      const users = ["ada", "bob", "cy", "di"];
      const follows = Array.from({ length: 12 }, (_, n) => launch(n % replicas, users[n % 4]!));
      const started = (await Promise.all(follows)).filter(Boolean).length;
      expect(started).toBeGreaterThanOrEqual(4);
      expect(started).toBeLessThanOrEqual(4 + replicas - 1);
    }
  });
});
