import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { waitFor } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import * as kit from "./local-test-kit.ts";

const { newId, password, scratchpadTemplate, specOf, until, useLocalState } = kit;

const local = useLocalState();
const never = new AbortController().signal;
const env = { SCRATCHPAD_PASSWORD: password };

describe("local launch lifecycle", () => {
  it("records readiness with no launcher watching (the monitor probes health itself)", async () => {
    // Regression: `listening` and `ready` were written only by observers, up to a poll late,
    // and never while no launcher observed.
    const driver = local.makeDriver({ pollMs: 60_000 });
    const id = newId();
    const stop = new AbortController();
    const ensured = driver.ensure(specOf(id), env, stop.signal);
    const record = local.recordOf(id);
    await waitFor(async () => existsSync(join(record, "monitor.json")), "the monitor");
    stop.abort(); // the launcher stops watching
    await expect(ensured).rejects.toThrow();
    await waitFor(async () => existsSync(join(record, "ready.json")), "ready.json", {
      timeoutMs: 20_000,
    });
    expect(existsSync(join(record, "listening.json"))).toBe(true);
    await driver.destroy(id);
  });

  it("passes through each phase on the way to ready, as its own observation", async () => {
    const driver = local.makeDriver({ pollMs: 60_000 }); // inotify alone must carry the launch
    const id = newId();
    const held = {
      ...scratchpadTemplate,
      drivers: { local: { ...scratchpadTemplate.drivers.local!, startDelay: 0.3 } },
    };
    const follow = until(driver, id, ["ready", "failed"]);
    await driver.ensure(specOf(id, held), env, never);
    const { seen, last } = await follow;
    expect(last.phase).toBe("ready");
    const phases = [...new Set(seen.map((o) => o.phase))];
    expect(phases).toEqual(expect.arrayContaining(["preparing", "creating", "starting", "ready"]));
    await driver.destroy(id);
  });

  it("is failed, not ready, once its monitor is gone", async () => {
    // Regression: a ready record stayed ready after its monitor died (a reboot, a kill), and
    // the app it no longer watched could be anything by then.
    const driver = local.makeDriver();
    const id = newId();
    await driver.ensure(specOf(id), env, never);
    expect((await until(driver, id, ["ready", "failed"])).last.phase).toBe("ready");
    const monitor = JSON.parse(await readFile(join(local.recordOf(id), "monitor.json"), "utf8"));
    process.kill(monitor.pid, "SIGKILL");
    await waitFor(
      async () => (await driver.list()).some((i) => i.id === id && i.phase === "failed"),
      "the instance to list as failed",
    );
    const { last } = await until(driver, id, ["failed", "ready"]);
    expect(last.phase).toBe("failed");
    expect(last.error).toBe("The instance's monitor process died");
    await driver.destroy(id);
    expect(await local.leftovers(id)).toEqual([]);
  });

  it("lists instances with the owner, template and expiry recorded at create", async () => {
    const driver = local.makeDriver();
    const ready = newId();
    const failed = newId();
    const spec = specOf(ready, scratchpadTemplate, "alice");
    await driver.ensure(spec, env, never);
    // No password: Scratchpad exits, and ensure says so.
    await expect(
      driver.ensure(specOf(failed, scratchpadTemplate, "bob"), {}, never),
    ).rejects.toThrow(/exited \(code 1\)/);
    const listed = await driver.list();
    expect(listed).toContainEqual({
      id: ready,
      owner: "alice",
      template: "scratchpad",
      phase: "ready",
      createdAt: spec.createdAt,
      expiresAt: spec.expiresAt,
    });
    expect(listed).toContainEqual(
      expect.objectContaining({ id: failed, owner: "bob", phase: "failed" }),
    );
    await driver.destroy(ready);
    await driver.destroy(failed);
    const after = (await driver.list()).map((i) => i.id);
    expect(after).not.toContain(ready);
    expect(after).not.toContain(failed);
  });

  it("records a failure once, and never over a launch that already ended", async () => {
    const driver = local.makeDriver();
    const unknown = newId();
    await driver.recordFailure(unknown, "The launch could not start: quota");
    const { last } = await until(driver, unknown, ["failed", "ready"]);
    expect(last.error).toBe("The launch could not start: quota");
    await driver.recordFailure(unknown, "a second reason");
    expect((await until(driver, unknown, ["failed"])).last.error).toBe(
      "The launch could not start: quota",
    );
    // A follow of that ticket afterwards starts nothing.
    await expect(driver.ensure(specOf(unknown), env, never)).rejects.toThrow(/quota/);
    expect(existsSync(join(local.recordOf(unknown), "launch.json"))).toBe(false);

    const ready = newId();
    await driver.ensure(specOf(ready), env, never);
    await driver.recordFailure(ready, "too late");
    expect((await until(driver, ready, ["ready", "failed"])).last.phase).toBe("ready");
    await driver.destroy(ready);
  });
});
