import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { holderOf, pickInstancePort, release, reserve } from "./ports.ts";

describe("instance ports", () => {
  it("are outside the ephemeral range, free, and never handed out twice", async () => {
    // Regression (chaos test): a port from listen(0) was taken by an outgoing connection
    // during the app's start delay, and the app died with EADDRINUSE.
    const [low, high] = (await readFile("/proc/sys/net/ipv4/ip_local_port_range", "utf8"))
      .trim()
      .split(/\s+/)
      .map(Number);
    const ports = await Promise.all(Array.from({ length: 100 }, () => pickInstancePort()));
    expect(new Set(ports).size).toBe(100);
    for (const port of ports) expect(port < low! || port > high!, String(port)).toBe(true);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(ports[0], "127.0.0.1", resolve));
    server.close();
  });
});

describe("port reservations shared through the state dir", () => {
  it("hand a port to one instance only, until that instance is gone", async () => {
    // Regression (chaos test, seed 721728372): a restarted server handed out a port a
    // held launch was about to bind; the loser's health check passed against the winner's
    // app, and its summary's password got 401.
    const { mkdtemp, mkdir, writeFile, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { release, reserve } = await import("./ports.ts");
    const stateDir = await mkdtemp(join(tmpdir(), "launcher-ports-"));
    const dir = join(stateDir, "ports");
    const a = "a".repeat(32);
    const b = "b".repeat(32);
    try {
      await mkdir(join(stateDir, "instances", a), { recursive: true });
      await mkdir(join(stateDir, "instances", b), { recursive: true });
      expect(await reserve(dir, 20_001, a)).toBe(true);
      expect(await reserve(dir, 20_001, a)).toBe(true);
      expect(await reserve(dir, 20_001, b)).toBe(false);
      await writeFile(join(stateDir, "instances", a, "destroyed.json"), "{}");
      expect(await reserve(dir, 20_001, b)).toBe(true);
      await release(dir, 20_001, a); // not a's any more: kept
      expect(await reserve(dir, 20_001, a)).toBe(false);
      await release(dir, 20_001, b);
      expect(await reserve(dir, 20_001, a)).toBe(true);
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});

describe("releasing a reservation", () => {
  it("never drops another instance's, even when two teardowns of one instance race a new reservation", async () => {
    // Regression: release read the holder, then removed the file. A second teardown of `a`
    // that read "a" before the first removed it then removed `c`'s fresh reservation.
    const dir = join(await mkdtemp(join(tmpdir(), "launcher-release-")), "ports");
    const a = "a".repeat(32);
    const c = "c".repeat(32);
    const never = async () => false;
    try {
      for (let port = 20_000; port < 20_300; port++) {
        expect(await reserve(dir, port, a, never)).toBe(true);
        const [, , got] = await Promise.all([
          release(dir, port, a),
          release(dir, port, a),
          reserve(dir, port, c, never),
        ]);
        // Whatever the order: a reservation c was given is still there, c's.
        if (got) expect(await holderOf(dir, port), String(port)).toBe(c);
        else expect(await holderOf(dir, port), String(port)).toBe("");
      }
    } finally {
      await rm(join(dir, ".."), { recursive: true, force: true });
    }
  });

  it("taking over a stale holder's, gives it to one of several racing reservers only", async () => {
    // Regression: each read the stale holder, then removed the file: a later one removed an
    // earlier one's fresh reservation, and several were given the port.
    const dir = join(await mkdtemp(join(tmpdir(), "launcher-takeover-")), "ports");
    const stale = "s".repeat(32);
    const racers = ["b", "c", "d", "e"].map((letter) => letter.repeat(32));
    const isStale = async (holder: string) => holder === stale;
    try {
      for (let port = 20_000; port < 20_300; port++) {
        expect(await reserve(dir, port, stale, isStale)).toBe(true);
        const got = await Promise.all(racers.map((id) => reserve(dir, port, id, isStale)));
        const winners = racers.filter((_, index) => got[index]);
        expect(winners.length, String(port)).toBeLessThanOrEqual(1);
        expect(await holderOf(dir, port), String(port)).toBe(winners[0] ?? stale);
      }
    } finally {
      await rm(join(dir, ".."), { recursive: true, force: true });
    }
  });
});
