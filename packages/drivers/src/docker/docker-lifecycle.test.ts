import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import type { Observation } from "../driver.ts";
import {
  failureMarkName,
  LABELS,
  launchMarkName,
  markLabels,
  readyMarkName,
  tombstoneName,
} from "./container-spec.ts";
import {
  containersOf,
  current,
  docker,
  engineUp,
  inspect,
  makeDriver,
  never,
  newId,
  newPassword,
  publishedUrl,
  scratchpadWith,
  spec,
  until,
  waitFor,
} from "./engine.fixture.ts";

const volumeExists = (name: string) =>
  docker
    .getVolume(name)
    .inspect()
    .then(
      () => true,
      () => false,
    );

/** Starts an instance whose ensure is cut off (aborted) once its container runs. */
async function startUnensured(id: string, template = scratchpadWith({})) {
  const controller = new AbortController();
  const driver = makeDriver({
    log: (line) => {
      if (line.startsWith("docker: started")) controller.abort();
    },
  });
  await driver
    .ensure(spec(id, template), { SCRATCHPAD_PASSWORD: newPassword() }, controller.signal)
    .catch(() => {});
  await waitFor("the app answers", async () => {
    const url = await publishedUrl(id);
    return (
      url !== undefined &&
      (await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      ))
    );
  });
}

// Ignores TERM (and so does PID 1 by default), so a destroy takes the whole stop grace.
const stubborn = scratchpadWith({ command: ["/bin/sh", "-c", "trap '' TERM; /start & wait"] });

describe.skipIf(!engineUp)("docker instance lifecycle on a real engine", () => {
  it("observes read-only: a healthy app is not ready until ensure records it", async () => {
    const id = newId();
    await startUnensured(id);
    // The app answers 200 now; an observer alone neither calls it ready nor writes a mark.
    expect((await current(makeDriver(), id)).phase).toBe("checking");
    expect(await volumeExists(readyMarkName(id))).toBe(false);
    // ensure (in any process that follows the launch) finishes it.
    const driver = makeDriver();
    await driver.ensure(spec(id), { SCRATCHPAD_PASSWORD: "unused: the container exists" }, never);
    expect(await volumeExists(readyMarkName(id))).toBe(true);
    expect((await current(makeDriver(), id)).phase).toBe("ready");
    await driver.destroy(id);
  });

  it("wakes observers in other processes on engine events, not on a poll", async () => {
    const id = newId();
    // Polling alone would take ten minutes: only the engine's events can wake this observer.
    const observed = until(makeDriver({ pollIntervalMs: 600_000 }), id, ["ready", "failed"]);
    const driver = makeDriver();
    await driver.ensure(spec(id), { SCRATCHPAD_PASSWORD: newPassword() }, never);
    const { last, seen } = await observed;
    expect(last.phase).toBe("ready");
    expect(seen[0]!.phase).toBe("preparing"); // it was waiting before the container existed
    await driver.destroy(id);
  });

  it("records a failure with its reason for every process, and ensure then refuses to go on", async () => {
    const id = newId();
    await startUnensured(id);
    const driver = makeDriver();
    await driver.recordFailure(id, "The health check (/health) did not pass within 30 s");
    const failed = await current(makeDriver(), id);
    expect(failed).toMatchObject({
      phase: "failed",
      error: "The health check (/health) did not pass within 30 s",
    });
    const mark = await docker.getVolume(failureMarkName(id)).inspect();
    expect(mark.Labels[LABELS.reason]).toBe("The health check (/health) did not pass within 30 s");
    await expect(driver.ensure(spec(id), { SCRATCHPAD_PASSWORD: "x" }, never)).rejects.toThrow(
      /did not pass/,
    );
    await driver.recordFailure(id, "another reason");
    expect((await current(driver, id)).error).toMatch(/did not pass/);
    await driver.destroy(id);
  });

  it("gives up when the health check does not pass within the timeout, without piling up abort listeners", async () => {
    const id = newId();
    const driver = makeDriver({ probeIntervalMs: 50 });
    // The app answers 401 on any path but /health without the password: never 2xx here.
    const neverHealthy = scratchpadWith({ healthPath: "/private", timeout: 2 });
    const controller = new AbortController();
    let most = 0;
    const counting = setInterval(() => {
      most = Math.max(most, getEventListeners(controller.signal, "abort").length);
    }, 10);
    try {
      await expect(
        driver.ensure(
          spec(id, neverHealthy),
          { SCRATCHPAD_PASSWORD: newPassword() },
          controller.signal,
        ),
      ).rejects.toThrow("The health check (/private) did not pass within 2 s");
    } finally {
      clearInterval(counting);
    }
    expect(most).toBeLessThanOrEqual(1);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    await driver.destroy(id);
  });

  it("does not record a failure over a ready instance", async () => {
    const id = newId();
    const driver = makeDriver();
    await driver.ensure(spec(id), { SCRATCHPAD_PASSWORD: newPassword() }, never);
    await driver.recordFailure(id, "too late");
    expect(await volumeExists(failureMarkName(id))).toBe(false);
    expect((await current(driver, id)).phase).toBe("ready");
    await driver.destroy(id);
  });

  it("says destroying while the container stops and destroyed only once it is gone; destroy resolves then", async () => {
    const id = newId();
    const driver = makeDriver({ stopGraceSeconds: 2 });
    await driver.ensure(spec(id, stubborn), { SCRATCHPAD_PASSWORD: newPassword() }, never);
    const destroyed = driver.destroy(id);
    await waitFor("the tombstone", () => volumeExists(tombstoneName(id)));
    const seen: { o: Observation; containers: number }[] = [];
    for await (const o of makeDriver().observe(id, AbortSignal.timeout(30_000))) {
      seen.push({ o, containers: (await containersOf(id)).length });
      if (o.phase === "destroyed") break;
    }
    expect(seen.map((s) => s.o.phase)).toEqual(["destroying", "destroyed"]);
    expect(seen[0]!.containers).toBe(1);
    expect(seen[1]!.containers).toBe(0);
    await destroyed;
    expect(await containersOf(id)).toHaveLength(0);
    // Destroyed is final: ensure creates nothing past the tombstone.
    await driver.ensure(spec(id, stubborn), { SCRATCHPAD_PASSWORD: newPassword() }, never);
    expect(await containersOf(id)).toHaveLength(0);
    await driver.destroy(id); // again: fine
  });

  it("tells followers of an expired instance that it expired", async () => {
    const id = newId();
    const driver = makeDriver();
    await driver.ensure(spec(id), { SCRATCHPAD_PASSWORD: newPassword() }, never);
    await driver.destroy(id, "expired");
    const { last } = await until(makeDriver(), id, ["destroyed"]);
    expect(last.message).toMatch(/expired/);
  });

  it("lists every instance with its owner, template and lifetime, failed ones too, destroyed ones not", async () => {
    const driver = makeDriver();
    const [ada, bob, broken, gone] = [newId(), newId(), newId(), newId()];
    const createdAt = Date.now() - 1000;
    const lifetime = { createdAt, expiresAt: createdAt + 60_000 };
    await Promise.all([
      driver.ensure(
        spec(ada, undefined, { owner: "ada", ...lifetime }),
        { SCRATCHPAD_PASSWORD: newPassword() },
        never,
      ),
      driver.ensure(
        spec(bob, undefined, { owner: "bob", ...lifetime }),
        { SCRATCHPAD_PASSWORD: newPassword() },
        never,
      ),
      driver
        .ensure(spec(broken, undefined, { owner: "bob", ...lifetime }), {}, never)
        .catch(() => {}),
      driver.ensure(
        spec(gone, undefined, { owner: "ada", ...lifetime }),
        { SCRATCHPAD_PASSWORD: newPassword() },
        never,
      ),
    ]);
    await driver.destroy(gone);
    const listed = (await driver.list()).filter((i) => [ada, bob, broken, gone].includes(i.id));
    expect(
      listed.sort((a, b) => a.owner.localeCompare(b.owner) || a.phase.localeCompare(b.phase)),
    ).toEqual([
      { id: ada, owner: "ada", template: "scratchpad", phase: "ready", ...lifetime },
      { id: broken, owner: "bob", template: "scratchpad", phase: "failed", ...lifetime },
      { id: bob, owner: "bob", template: "scratchpad", phase: "ready", ...lifetime },
    ]);
    await Promise.all([ada, bob, broken].map((id) => driver.destroy(id)));
    const after = await driver.list();
    expect(after.filter((i) => [ada, bob, broken].includes(i.id))).toEqual([]);
  });

  it("applies the template's resources, no new privileges, no capabilities and a default pids limit", async () => {
    const driver = makeDriver();
    const [limited, plain] = [newId(), newId()];
    const withResources = scratchpadWith(
      {},
      { resources: { cpus: 0.5, memoryMiB: 64, pids: 100 } },
    );
    await driver.ensure(
      spec(limited, withResources),
      { SCRATCHPAD_PASSWORD: newPassword() },
      never,
    );
    await driver.ensure(spec(plain), { SCRATCHPAD_PASSWORD: newPassword() }, never);
    const limitedConfig = (await inspect(limited)).HostConfig;
    expect(limitedConfig).toMatchObject({
      NanoCpus: 500_000_000,
      Memory: 64 * 1024 * 1024,
      PidsLimit: 100,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
    });
    const plainConfig = (await inspect(plain)).HostConfig;
    expect(plainConfig).toMatchObject({
      PidsLimit: 512,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
    });
    // What the app itself gets: no capabilities, no way to gain privileges.
    const exec = await docker.getContainer(`launcher-${plain}`).exec({
      Cmd: ["cat", "/proc/1/status"],
      AttachStdout: true,
    });
    const stream = await exec.start({});
    let status = "";
    for await (const chunk of stream) status += chunk.toString();
    expect(status).toMatch(/NoNewPrivs:\s+1/);
    expect(status).toMatch(/CapEff:\s+0+\s/);
    await Promise.all([driver.destroy(limited), driver.destroy(plain)]);
  });

  it("cuts the log tail like the local driver: 20 lines of at most 500 characters, and rotates the log on disk", async () => {
    const id = newId();
    const chatty = scratchpadWith({
      command: [
        "/bin/sh",
        "-c",
        "i=0; while [ $i -lt 30 ]; do echo line $i; i=$((i+1)); done; head -c 3000 /dev/zero | tr '\\0' x; echo; exec /start",
      ],
    });
    const driver = makeDriver();
    await driver.ensure(spec(id, chatty), { SCRATCHPAD_PASSWORD: newPassword() }, never);
    const ready = await current(driver, id);
    expect(ready.logTail.length).toBeLessThanOrEqual(20);
    expect(ready.logTail).toContain("x".repeat(500));
    expect(ready.logTail.every((line) => line.length <= 500)).toBe(true);
    const { LogConfig } = (await inspect(id)).HostConfig;
    if (LogConfig?.Type === "json-file")
      expect(LogConfig.Config).toMatchObject({ "max-size": "10m" });
    await driver.destroy(id);
  });

  it("sweeps a teardown whose destroyer died mid-stop as soon as the container has stopped, however young its tombstone", async () => {
    const driver = makeDriver({ stopGraceSeconds: 10 });
    const [stopped, running] = [newId(), newId()];
    for (const id of [stopped, running]) {
      await driver.ensure(spec(id), { SCRATCHPAD_PASSWORD: newPassword() }, never);
      const labels = markLabels(id, "destroyed");
      await docker.createVolume({ Name: tombstoneName(id), Labels: labels });
    }
    // What the engine leaves once it has ended the stop a killed destroyer asked for.
    await docker.getContainer(`launcher-${stopped}`).stop({ t: 0 });
    await driver.sweep();
    expect(await containersOf(stopped)).toHaveLength(0);
    expect(await volumeExists(readyMarkName(stopped))).toBe(false);
    expect((await current(makeDriver(), stopped)).phase).toBe("destroyed");
    // Still running under a young tombstone: a destroy may be in its grace; left to it.
    expect(await containersOf(running)).toHaveLength(1);
    await driver.destroy(running);
  });

  it("sweeps: finishes a teardown left half-done under a tombstone, keeps a young one, removes old tombstones", async () => {
    const driver = makeDriver({ stopGraceSeconds: 1, tombstoneTtlSeconds: 3600 });
    const [halfDone, beingDestroyed, longGone] = [newId(), newId(), newId()];
    await driver.ensure(spec(halfDone), { SCRATCHPAD_PASSWORD: newPassword() }, never);
    await driver.ensure(spec(beingDestroyed), { SCRATCHPAD_PASSWORD: newPassword() }, never);
    // A destroyer that crashed a minute ago after its tombstone; one that is at it right now.
    const tombstone = (id: string, at: number) =>
      docker.createVolume({ Name: tombstoneName(id), Labels: markLabels(id, "destroyed", {}, at) });
    await tombstone(halfDone, Date.now() - 60_000);
    await tombstone(beingDestroyed, Date.now());
    await tombstone(longGone, Date.now() - 7_200_000);
    expect((await current(makeDriver(), halfDone)).phase).toBe("destroying");

    await driver.sweep();
    expect(await containersOf(halfDone)).toHaveLength(0);
    expect(await volumeExists(readyMarkName(halfDone))).toBe(false);
    expect((await current(makeDriver(), halfDone)).phase).toBe("destroyed");
    expect(await containersOf(beingDestroyed)).toHaveLength(1);
    expect(await volumeExists(tombstoneName(longGone))).toBe(false);
    expect(await volumeExists(tombstoneName(halfDone))).toBe(true);
    // A launch mark left under a tombstone (its destroyer died before removing it) goes; one
    // alone stays (a pull may be under way), and so does one whose failed mark is young.
    const [pulledGone, pulling, failed, failedYoung] = [newId(), newId(), newId(), newId()];
    const mark = (name: string, id: string, kind: "launch" | "failed", at = Date.now()) =>
      docker.createVolume({ Name: name, Labels: markLabels(id, kind, {}, at) });
    await mark(launchMarkName(pulledGone), pulledGone, "launch");
    await tombstone(pulledGone, Date.now());
    await mark(launchMarkName(pulling), pulling, "launch");
    await mark(launchMarkName(failed), failed, "launch");
    await mark(failureMarkName(failed), failed, "failed", Date.now() - 7_200_000);
    await mark(launchMarkName(failedYoung), failedYoung, "launch");
    await mark(failureMarkName(failedYoung), failedYoung, "failed");
    await driver.sweep();
    expect(await volumeExists(launchMarkName(pulledGone))).toBe(false);
    expect(await volumeExists(launchMarkName(pulling))).toBe(true);
    expect(await volumeExists(launchMarkName(failedYoung))).toBe(true);
    expect(await volumeExists(failureMarkName(failedYoung))).toBe(true);
    // A failed mark past its lifetime goes with its launch mark: nothing counts any more.
    expect(await volumeExists(launchMarkName(failed))).toBe(false);
    expect(await volumeExists(failureMarkName(failed))).toBe(false);
    await driver.destroy(pulling);
    expect(await volumeExists(launchMarkName(pulling))).toBe(false);
    await driver.destroy(failedYoung);
    // Several replicas sweeping at once agree.
    await Promise.all([driver.sweep(), makeDriver().sweep()]);
    await driver.destroy(beingDestroyed);
  });
});
