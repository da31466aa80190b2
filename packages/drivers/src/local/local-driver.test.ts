import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { waitFor } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import { bundledTemplates } from "../templates/index.ts";
import * as kit from "./local-test-kit.ts";

const { newId, password, processesNaming, specOf, until, useLocalState } = kit;
const template = kit.scratchpadTemplate;

const local = useLocalState();
const makeDriver = local.makeDriver;
const leftovers = local.leftovers;
const monitorsOf = (id: string) =>
  processesNaming(`launcher-monitor.mjs\u0000${local.recordOf(id)}`);
const untilNoProcesses = (id: string) =>
  waitFor(async () => (await leftovers(id)).length === 0, `instance ${id} to stop`);

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
    for (const name of await readdir(local.recordOf(id))) {
      const text = await readFile(join(local.recordOf(id), name), "utf8");
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
    expect(existsSync(local.recordOf(id))).toBe(false);
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
    ensured.catch(() => {}); // awaited below, once the monitor is killed
    const dir = local.recordOf(id);
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
    await expect(ensured).rejects.toThrow("The instance's monitor process died");
    await driver.destroy(id);
  });

  it("fails clearly when the command exits", async () => {
    const driver = makeDriver();
    const id = newId();
    // Scratchpad refuses to start without a password.
    const ensured = driver.ensure(specOf(id), {}, new AbortController().signal);
    await expect(ensured).rejects.toThrow(/exited \(code 1\)/);
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
