import { readdir, readFile } from "node:fs/promises";
import { afterAll } from "vitest";
import type { Driver, InstanceSpec } from "../driver.ts";
import { newInstanceSpec } from "../driver-fixtures.ts";
import { TemplateSchema } from "../template.ts";
import { probeTemplateInput } from "./fixtures/probe-app.ts";

export { probeTemplateInput };

import { until } from "./local-test-kit.ts";
import type { UidRange } from "./uids.ts";

/** Helpers for the tests of isolated local instances (not exported from the package). */

const isRoot = process.getuid?.() === 0;
const inCi = !!process.env.CI && process.env.CI !== "false" && process.env.CI !== "0";
/** Isolation needs root; in CI (which runs as root) the tests must run, and fail if not root. */
export const skipIsolation = !isRoot && !inCi;
export const SKIP_REASON = "not root and not CI: running instances as other uids needs root";

/** A range of 1000 uids nobody uses, different on each run (tests run in parallel). */
export function testRange(): UidRange {
  const first = 300_000 + Math.floor(Math.random() * 1000) * 1000;
  return { first, last: first + 999 };
}

export const probeTemplate = TemplateSchema.parse(probeTemplateInput());
export const never = new AbortController().signal;

/** The real uid a process runs as, or undefined once it is gone. */
export async function uidOf(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
  const state = /^State:\s+(\S)/m.exec(status)?.[1];
  return uid === undefined || state === "Z" || state === "X" ? undefined : Number(uid);
}

/** Live pids running as a uid of `range`. */
export async function processesIn(range: UidRange): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const uid = await uidOf(Number(name));
    if (uid !== undefined && uid >= range.first && uid <= range.last) pids.push(Number(name));
  }
  return pids;
}

/** Kills whatever still runs as a uid of `range` after the test file (a failed test's). */
export function killRangeAfterAll(range: UidRange): void {
  afterAll(async () => {
    for (const pid of await processesIn(range)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    }
  });
}

export interface Whoami {
  uid: number;
  gid: number;
  groups: number[];
  pid: number;
  cwd: string;
  home: string;
  tmpdir: string;
  envNames: string[];
}

/** GETs `path` from a probe instance and parses its JSON answer. */
export async function ask<T>(url: string, path: string): Promise<T> {
  const response = await fetch(new URL(path, url));
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/** Asks the probe to try each of `attempts` (`read`, `list`, `write`, `environ`, `signal`). */
export function attempt(url: string, attempts: [string, string | number][]) {
  const query = new URLSearchParams(attempts.map(([kind, what]) => [kind, String(what)]));
  return ask<Record<string, string>>(url, `/try?${query}`);
}

/** Launches a probe instance to ready and says who it runs as. */
export async function launchProbe(driver: Driver, spec: InstanceSpec = newProbeSpec()) {
  await driver.ensure(spec, { PROBE_SECRET: "probe-secret-value-0123456789" }, never);
  const { last } = await until(driver, spec.id, ["ready", "failed"]);
  if (last.phase !== "ready") throw new Error(`not ready: ${last.error}\n${last.logTail}`);
  const url = last.url!;
  return { id: spec.id, url, who: await ask<Whoami>(url, "/whoami") };
}

export const newProbeSpec = () => newInstanceSpec(probeTemplate);
