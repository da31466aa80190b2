import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll } from "vitest";
import type { Driver, Observation } from "../driver.ts";
import { newInstanceSpec } from "../driver-fixtures.ts";
import { type Template, TemplateSchema } from "../template.ts";
import { bundledTemplates } from "../templates/index.ts";
import { createLocalDriver, type LocalDriverOptions } from "./local-driver.ts";

/** Helpers for the local driver's tests (not exported from the package). */

export const scratchpad = resolve(import.meta.dirname, "../../../../apps/scratchpad/dist/main.js");
export const scratchpadTemplate = bundledTemplates().find((t) => t.id === "scratchpad")!;
export const password = "local-driver-test-password-123";
const fixtureApp = resolve(import.meta.dirname, "fixtures/app.mjs");

/** Whether real Jupyter Notebook (Debian's `jupyter-notebook`, which CI installs) is on PATH. */
export const hasJupyter = (() => {
  try {
    execFileSync("jupyter", ["notebook", "--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

export const newId = () => crypto.randomUUID().replaceAll("-", "");

export const specOf = (id: string, template = scratchpadTemplate, owner = "local") =>
  newInstanceSpec(template, { id, owner });

/** A template running fixtures/app.mjs with `flags` (see there). */
export function fixtureTemplate(...flags: string[]): Template {
  return TemplateSchema.parse({
    id: "fixture",
    name: "Fixture",
    description: "A test app",
    drivers: {
      local: { command: ["{node}", fixtureApp, "{port}", ...flags], healthPath: "/health" },
    },
  });
}

/** Observes until one of `phases`; fails after `ms`. */
export async function until(driver: Driver, id: string, phases: string[], ms = 20_000) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const seen: Observation[] = [];
  try {
    for await (const o of driver.observe(id, controller.signal)) {
      seen.push(o);
      if (phases.includes(o.phase)) return { last: o, seen };
    }
    throw new Error(`no ${phases} within ${ms} ms; saw ${seen.map((o) => o.phase)}`);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/** Live pids whose command line or environment holds `needle`, read straight from /proc. */
export async function processesNaming(needle: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (!(await isAlive(Number(entry)))) continue;
      const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8");
      const environ = await readFile(`/proc/${entry}/environ`, "utf8");
      if (cmdline.includes(needle) || environ.includes(needle)) found.push(Number(entry));
    } catch {
      // It ended while we looked.
    }
  }
  return found;
}

/** Whether `pid` runs (a zombie does not). */
export async function isAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return stat !== "" && state !== "Z" && state !== "X";
}

/**
 * A state dir and a work root for one test file, removed after it with whatever of its
 * instances still runs.
 */
export function useLocalState() {
  const kit = {
    stateDir: "",
    workRoot: "",
    recordOf: (id: string) => join(kit.stateDir, "instances", id),
    makeDriver: (options: Partial<LocalDriverOptions> = {}) =>
      createLocalDriver({
        stateDir: kit.stateDir,
        workRoot: kit.workRoot,
        vars: { scratchpad },
        pollMs: 50,
        stopGraceMs: 2000,
        ...options,
      }),
    /** The instance's processes still alive: its monitor, its app and whatever they started. */
    leftovers: async (id: string) => [
      ...new Set([
        ...(await processesNaming(`launcher-monitor.mjs\u0000${kit.recordOf(id)}`)),
        ...(await processesNaming(`LAUNCHER_INSTANCE=${id}`)),
      ]),
    ],
  };
  beforeAll(async () => {
    kit.stateDir = await mkdtemp(join(tmpdir(), "launcher-local-state-"));
    kit.workRoot = await mkdtemp(join(tmpdir(), "launcher-local-work-"));
  });
  afterAll(async () => {
    for (const id of await readdir(join(kit.stateDir, "instances")).catch(() => [])) {
      for (const pid of await kit.leftovers(id)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Gone meanwhile.
        }
      }
    }
    await rm(kit.stateDir, { recursive: true, force: true });
    await rm(kit.workRoot, { recursive: true, force: true });
  });
  return kit;
}
