import { describe, expect, it } from "vitest";
import { instanceProcesses, type ProcessEntry, readProcessTable, uidsOfStatus } from "./proc.ts";

const id = "a".repeat(32);
const entry = (pid: number, more: Partial<ProcessEntry> = {}): ProcessEntry => ({
  pid,
  startTime: pid * 10,
  pgrp: pid,
  session: pid,
  uid: 1000,
  ...more,
});

describe("an instance's processes", () => {
  it("are those naming it, those recorded with their start time, and their groups and sessions", () => {
    const table = [
      entry(100, { instance: id }), // the monitor, a session leader
      entry(101, { pgrp: 100, session: 100 }), // a child that cleared its environment
      entry(200, { instance: id }), // a child that left with setsid
      entry(300), // recorded, and still the same process
      entry(400), // recorded, but the pid was reused since
      entry(500, { instance: "b".repeat(32) }), // another instance
      entry(600), // a bystander
    ];
    const recorded = [
      { pid: 300, startTime: 3000 },
      { pid: 400, startTime: 1 },
    ];
    const pids = instanceProcesses(table, id, { recorded }).map((p) => p.pid);
    expect(pids.sort()).toEqual([100, 101, 200, 300]);
  });

  it("include every process running as a uid reserved for the instance, and its group", () => {
    const table = [
      entry(100, { instance: id }),
      entry(200, { uid: 200_001, pgrp: 200, session: 200 }), // left the session, cleared its env
      entry(201, { pgrp: 200, session: 200 }), // in that one's group, not (yet) setuid
      entry(300, { uid: 200_002 }), // another instance's uid
      entry(400, { uid: 0 }), // root: never an instance's uid
    ];
    const pids = instanceProcesses(table, id, { uids: [200_001, 0] }).map((p) => p.pid);
    expect(pids.sort()).toEqual([100, 200, 201]);
  });

  it("include a process whose effective, saved or filesystem uid is reserved, not only its real one", () => {
    // Another instance's process that ran a setuid copy of this instance's binary: its real
    // uid is its own, the others are this instance's.
    const status =
      "Name:\tsh\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t300002\t300001\t300001\t300001\nGid:\t300002\t300002\t300002\t300002\n";
    expect(uidsOfStatus(status)).toEqual({
      uid: 300_002,
      uids: [300_002, 300_001, 300_001, 300_001],
    });
    const table = [entry(700, { ...uidsOfStatus(status) }), entry(800, { uid: 300_002 })];
    expect(instanceProcesses(table, id, { uids: [300_001] }).map((p) => p.pid)).toEqual([700]);
    expect(uidsOfStatus("Name:\tx\n")).toEqual({ uid: -1, uids: [] });
  });

  it("include, isolated, a process naming the instance only when it runs as the launcher's uid or the instance's", () => {
    // Regression: another instance's app could put this instance's id in its own processes'
    // environment, and have them taken for this instance's (killed with it, or stop its takeover).
    const launcher = process.getuid!();
    const table = [
      entry(100, { instance: id, uid: launcher, uids: [launcher, launcher, launcher, launcher] }), // its monitor, not recorded yet
      entry(200, { instance: id, uid: 300_001, uids: [300_001, 300_001, 300_001, 300_001] }), // its app
      entry(300, { instance: id, uid: 300_002, uids: [300_002, 300_002, 300_002, 300_002] }), // another's, forging
      entry(301, { pgrp: 300, session: 300, uid: 300_002 }), // in the forger's group
      entry(400, { instance: id, uid: 300_002, uids: [300_002, launcher, launcher, launcher] }), // half its uids
      entry(500, { instance: id, uid: -1, uids: [] }), // unreadable status
    ];
    const isolated = instanceProcesses(table, id, { uids: [300_001], isolated: true });
    expect(isolated.map((p) => p.pid).sort()).toEqual([100, 200]);
    // One shared user: the marker is believed as it is.
    const shared = instanceProcesses(table, id).map((p) => p.pid);
    expect(shared.sort()).toEqual([100, 200, 300, 301, 400, 500]);
  });

  it("never include this process, its group or its session", () => {
    const self = entry(process.pid, { pgrp: 7, session: 7 });
    const table = [
      self,
      entry(8, { instance: id, pgrp: 7, session: 7 }),
      entry(9, { pgrp: 7, session: 7 }),
    ];
    expect(instanceProcesses(table, id).map((p) => p.pid)).toEqual([8]);
  });

  it("reads this process from /proc with its group, session and start time", async () => {
    const table = await readProcessTable();
    const self = table.find((p) => p.pid === process.pid);
    expect(self).toMatchObject({ pid: process.pid, pgrp: expect.any(Number) });
    expect(self!.startTime).toBeGreaterThan(0);
    expect(self!.uid).toBe(process.getuid!());
    expect(self!.uids).toEqual([
      process.getuid!(),
      process.geteuid!(),
      expect.any(Number),
      expect.any(Number),
    ]);
  });
});
