import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Driver, Observation } from "../driver.ts";
import { bundledTemplates } from "../templates/index.ts";
import { createLocalDriver, type LocalDriverOptions } from "./local-driver.ts";

const scratchpad = resolve(import.meta.dirname, "../../../../apps/scratchpad/dist/main.js");
const template = bundledTemplates().find((t) => t.id === "scratchpad")!;
const password = "local-driver-test-password-123";
let stateDir = "";
let workRoot = "";

const newId = () => crypto.randomUUID().replaceAll("-", "");
const makeDriver = (options: Partial<LocalDriverOptions> = {}) =>
  createLocalDriver({
    stateDir,
    workRoot,
    vars: { scratchpad },
    pollMs: 50,
    stopGraceMs: 2000,
    ...options,
  });

async function until(driver: Driver, id: string, phases: string[], ms = 20_000) {
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
  }
}

/** Live pids whose command line or environment names `needle`, read straight from /proc. */
async function processesNaming(needle: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      if (/^[ZX]$/.test(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3))) continue;
      const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8");
      const environ = await readFile(`/proc/${entry}/environ`, "utf8");
      if (cmdline.includes(needle) || environ.includes(needle)) found.push(Number(entry));
    } catch {
      // It ended while we looked.
    }
  }
  return found;
}

/** The instance's processes still alive: its monitor, its app and whatever they started. */
async function leftovers(id: string): Promise<number[]> {
  const monitors = await processesNaming(
    `launcher-monitor.mjs\u0000${join(stateDir, "instances", id)}`,
  );
  return [...new Set([...monitors, ...(await processesNaming(`LAUNCHER_INSTANCE=${id}`))])];
}

const monitorsOf = (id: string) =>
  processesNaming(`launcher-monitor.mjs\u0000${join(stateDir, "instances", id)}`);

/** Polls until the instance has no process left; fails after `ms`. */
async function untilNoProcesses(id: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await leftovers(id)).length > 0) {
    if (Date.now() > deadline) throw new Error(`instance ${id} still runs: ${await leftovers(id)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const specOf = (id: string, t = template) => ({
  id,
  template: t,
  createdAt: Date.now(),
  owner: "local",
  expiresAt: Date.now() + 3_600_000,
});

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "launcher-local-state-"));
  workRoot = await mkdtemp(join(tmpdir(), "launcher-local-work-"));
});
afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
  await rm(workRoot, { recursive: true, force: true });
});

describe("local driver", () => {
  it("launches Scratchpad to ready, with the password only in its environment", async () => {
    const driver = makeDriver();
    const id = newId();
    const first = await until(driver, id, ["preparing"]);
    expect(first.last.version).toBe(0);
    await driver.ensure(
      { id, template, createdAt: Date.now(), owner: "local", expiresAt: Date.now() + 3_600_000 },
      { SCRATCHPAD_PASSWORD: password },
      new AbortController().signal,
    );
    const { last, seen } = await until(driver, id, ["ready", "failed"]);
    expect(last.phase).toBe("ready");
    expect(last.steps.every((s) => s.state === "done")).toBe(true);
    const versions = seen.map((o) => o.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    const auth = (p: string) => ({ authorization: `Basic ${btoa(`u:${p}`)}` });
    expect((await fetch(last.url!, { headers: auth(password) })).status).toBe(200);
    expect((await fetch(last.url!, { headers: auth("wrong") })).status).toBe(401);
    for (const name of await readdir(join(stateDir, "instances", id))) {
      const text = await readFile(join(stateDir, "instances", id, name), "utf8");
      expect(text).not.toContain(password);
    }
    await driver.destroy(id);
    expect(await leftovers(id)).toEqual([]);
    const after = await until(driver, id, ["destroyed"]);
    expect(after.last.phase).toBe("destroyed");
    await driver.destroy(id); // idempotent
  });

  it("starts one instance when two drivers ensure the same id at once", async () => {
    const id = newId();
    const spec = {
      id,
      template,
      createdAt: Date.now(),
      owner: "local",
      expiresAt: Date.now() + 3_600_000,
    };
    const env = { SCRATCHPAD_PASSWORD: password };
    await Promise.all(
      [makeDriver(), makeDriver(), makeDriver()].map((d) =>
        d.ensure(spec, env, new AbortController().signal),
      ),
    );
    const driver = makeDriver();
    expect((await until(driver, id, ["ready", "failed"])).last.phase).toBe("ready");
    expect(await monitorsOf(id)).toHaveLength(1);
    await driver.destroy(id);
  });

  it("never recreates a destroyed instance", async () => {
    const driver = makeDriver();
    const id = newId();
    await driver.destroy(id);
    await driver.ensure(
      { id, template, createdAt: Date.now(), owner: "local", expiresAt: Date.now() + 3_600_000 },
      { SCRATCHPAD_PASSWORD: password },
      new AbortController().signal,
    );
    expect((await until(driver, id, ["destroyed", "ready"])).last.phase).toBe("destroyed");
    // Past its lifetime (here: at once) a sweep removes the tombstone.
    await makeDriver({ tombstoneTtlSeconds: 0 }).sweep();
    expect(existsSync(join(stateDir, "instances", id))).toBe(false);
  });

  it("leaves nothing running when destroy and ensure race (seen orphaned before)", async () => {
    const driver = makeDriver();
    const env = { SCRATCHPAD_PASSWORD: password };
    const ids = Array.from({ length: 24 }, () => newId());
    await Promise.all(
      ids.map(async (id, i) => {
        const ensure = driver.ensure(
          {
            id,
            template,
            createdAt: Date.now(),
            owner: "local",
            expiresAt: Date.now() + 3_600_000,
          },
          env,
          new AbortController().signal,
        );
        // Destroy lands before, during or after the claim, depending on i.
        for (let turn = 0; turn < i % 8; turn++) await Promise.resolve();
        await Promise.all([ensure, driver.destroy(id)]);
      }),
    );
    for (const id of ids) {
      await untilNoProcesses(id);
      expect((await until(driver, id, ["destroyed", "ready"])).last.phase).toBe("destroyed");
    }
  }, 60_000);

  it("fails, not waits for ever, when the monitor dies before the app starts", async () => {
    const driver = makeDriver();
    const id = newId();
    const held = {
      ...template,
      drivers: { local: { ...template.drivers.local!, startDelay: 600 } },
    };
    // Ensure follows the launch until it settles: here, until the monitor's death fails it.
    const ensured = driver.ensure(
      specOf(id, held),
      { SCRATCHPAD_PASSWORD: password },
      new AbortController().signal,
    );
    const dir = join(stateDir, "instances", id);
    // Once the monitor has recorded itself (the app waits out its start delay):
    const deadline = Date.now() + 10_000;
    let monitor: { pid: number } | undefined;
    while (!monitor && Date.now() < deadline) {
      monitor = await readFile(join(dir, "monitor.json"), "utf8").then(JSON.parse, () => undefined);
      if (!monitor) await new Promise((r) => setTimeout(r, 20));
    }
    expect((await until(driver, id, ["creating"])).last.phase).toBe("creating");
    process.kill(monitor!.pid, "SIGKILL");
    const { last } = await until(driver, id, ["failed", "ready"]);
    expect(last.phase).toBe("failed");
    expect(last.error).toBe("The instance's monitor process died");
    expect(last.steps.find((step) => step.state === "failed")?.key).toBe("create");
    await ensured;
    await driver.destroy(id);
  });

  it("fails clearly when the command exits", async () => {
    const driver = makeDriver();
    const id = newId();
    // Scratchpad refuses to start without a password.
    await driver.ensure(
      { id, template, createdAt: Date.now(), owner: "local", expiresAt: Date.now() + 3_600_000 },
      {},
      new AbortController().signal,
    );
    const { last } = await until(driver, id, ["ready", "failed"]);
    expect(last.phase).toBe("failed");
    expect(last.error).toMatch(/exited \(code 1\)/);
    expect(last.logTail.join("\n")).toContain("SCRATCHPAD_PASSWORD must be set");
    await driver.destroy(id);
  });

  it("says why a template cannot run here", async () => {
    const driver = makeDriver();
    const jupyter = bundledTemplates().find((t) => t.id === "jupyter")!;
    const missing = {
      ...jupyter,
      drivers: { local: { ...jupyter.drivers.local!, requires: "no-such-binary-xyz" } },
    };
    expect(await driver.availableFor(missing)).toEqual({
      available: false,
      reason: "`no-such-binary-xyz` was not found on PATH",
    });
    expect((await driver.availableFor(template)).available).toBe(true);
  });
});
