import { describe, expect, it } from "vitest";
import { LABELS, readyMarkName } from "./container-spec.ts";
import { createDockerDriver } from "./docker-driver.ts";
import {
  containersOf,
  current,
  docker,
  engineUp,
  inspect,
  killEnsureAt,
  logged,
  makeDriver,
  never,
  newId,
  newPassword,
  scratchpad,
  scratchpadWith,
  spec,
  until,
} from "./engine.fixture.ts";

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("docker driver without an engine", () => {
  it("says why it is unavailable when the socket does not answer", async () => {
    const driver = createDockerDriver({ host: "unix:///nonexistent/launcher/docker.sock" });
    const availability = await driver.available();
    expect(availability.available).toBe(false);
    if (availability.available) return;
    expect(availability.reason).toContain("unix:///nonexistent/launcher/docker.sock");
    expect(availability.reason).not.toMatch(/\n\s+at /);
    expect(await driver.availableFor(scratchpad)).toEqual(availability);
  });
});

describe.skipIf(!engineUp)("docker driver on a real engine", () => {
  it("reports the engine and which templates it can run", async () => {
    const driver = makeDriver();
    expect(await driver.available()).toMatchObject({
      available: true,
      detail: expect.stringMatching(/Engine \S+/),
    });
    expect((await driver.availableFor(scratchpad)).available).toBe(true);
    const localOnly = { ...scratchpad, drivers: { local: scratchpad.drivers.local } };
    expect((await driver.availableFor(localOnly)).available).toBe(false);
  });

  it("launches Scratchpad to ready: ensure resolves once ready, the password opens it, and the secret stays in Env", async () => {
    const driver = makeDriver();
    const id = newId();
    const password = newPassword();
    const observed = until(driver, id, ["ready", "failed"]);
    await driver.ensure(
      spec(id, scratchpad, { owner: "ada@example.com" }),
      { SCRATCHPAD_PASSWORD: password },
      never,
    );
    // ensure recorded readiness: another launcher process sees ready at once.
    expect((await current(makeDriver(), id)).phase).toBe("ready");
    const { last, seen } = await observed;
    expect(last.phase, last.error).toBe("ready");
    const versions = seen.map((o) => o.version);
    expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
    expect(last.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(last.steps.every((s) => s.state === "done")).toBe(true);

    const page = await fetch(last.url!, { headers: { authorization: basic("anyone", password) } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Scratchpad");
    const wrong = await fetch(last.url!, { headers: { authorization: basic("anyone", "nope") } });
    expect(wrong.status).toBe(401);
    await wrong.body?.cancel();
    expect((await fetch(last.url!)).status).toBe(401);

    // Ports on loopback only, chosen by the engine.
    const info = await inspect(id);
    const binding = info.NetworkSettings.Ports["8080/tcp"]?.[0];
    expect(binding?.HostIp).toBe("127.0.0.1");
    expect(last.url).toContain(`:${binding?.HostPort}/`);
    // The secret: in the container's Env, and nowhere else the launcher or the engine shows.
    expect(info.Config.Env).toContain(`SCRATCHPAD_PASSWORD=${password}`);
    const { Env: _env, ...config } = info.Config;
    expect(JSON.stringify({ ...info, Config: config })).not.toContain(password);
    expect(info.Name).not.toContain(password);
    expect(JSON.stringify(seen)).not.toContain(password);
    expect(logged.join("\n")).not.toContain(password);
    expect(info.Config.Labels).toMatchObject({
      [LABELS.id]: id,
      [LABELS.template]: "scratchpad",
      [LABELS.owner]: "ada@example.com",
    });
    const ready = await docker.getVolume(readyMarkName(id)).inspect();
    expect(ready.Labels).toMatchObject({ [LABELS.containerId]: info.Id });

    await driver.destroy(id);
    const volumes = await docker.listVolumes({
      filters: JSON.stringify({ label: [`${LABELS.id}=${id}`] }),
    });
    expect(JSON.stringify(volumes)).not.toContain(password);
  });

  it("pulls a missing image from the registry with per-layer progress on the pull step", async () => {
    const base = await docker.getImage(scratchpad.drivers.docker!.image).inspect();
    const pullImage = base.Config.Labels?.["launcher.test-pull-image"];
    expect(
      pullImage,
      "scripts/engine.sh labels the test image with its registry copy",
    ).toBeTruthy();
    await docker
      .getImage(pullImage!)
      .remove({ force: true })
      .catch(() => {});
    const driver = makeDriver();
    const id = newId();
    const observed = until(driver, id, ["ready", "failed"]);
    await driver.ensure(
      spec(id, scratchpadWith({ image: pullImage })),
      { SCRATCHPAD_PASSWORD: newPassword() },
      never,
    );
    const { last, seen } = await observed;
    expect(last.phase, last.error).toBe("ready");
    const pulls = seen.filter((o) => o.phase === "pulling");
    expect(pulls.length).toBeGreaterThan(0);
    const progress = pulls.map((o) => o.steps.find((s) => s.key === "pull")!.progress!);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.every((p) => p >= 0 && p <= 1)).toBe(true);
    expect(seen.map((o) => o.phase)).toContain("creating");
    await driver.destroy(id);
    await docker
      .getImage(pullImage!)
      .remove({ force: true })
      .catch(() => {});
  });

  it("resumes after the launcher is killed with -9 mid-ensure: exactly one container", async () => {
    const id = newId();
    const password = newPassword();
    // Killed the moment the container exists, before ensure has started it.
    const output = await killEnsureAt("created", { id, template: scratchpad, password });
    expect(output).not.toContain(password);

    const driver = makeDriver();
    await driver.ensure(spec(id), { SCRATCHPAD_PASSWORD: password }, never);
    const { last } = await until(driver, id, ["ready", "failed"]);
    expect(last.phase, last.error).toBe("ready");
    expect(await containersOf(id)).toHaveLength(1);
    await driver.destroy(id);
  });

  it("creates one container when two launchers ensure the same instance at once", async () => {
    const id = newId();
    const password = newPassword();
    const [a, b] = [makeDriver(), makeDriver()];
    await Promise.all([
      a.ensure(spec(id), { SCRATCHPAD_PASSWORD: password }, never),
      b.ensure(spec(id), { SCRATCHPAD_PASSWORD: password }, never),
    ]);
    const [fromA, fromB] = await Promise.all([
      until(a, id, ["ready", "failed"]),
      until(b, id, ["ready", "failed"]),
    ]);
    expect(fromA.last.phase).toBe("ready");
    // Both processes derive the same version from the platform.
    expect(fromB.last).toMatchObject({ phase: "ready", version: fromA.last.version });
    expect(await containersOf(id)).toHaveLength(1);
    await a.destroy(id);
  });

  it("stays ready when the app stops answering after the health timeout, even for another launcher", async () => {
    const driver = makeDriver();
    const id = newId();
    await driver.ensure(
      spec(id, scratchpadWith({ timeout: 1 })),
      { SCRATCHPAD_PASSWORD: newPassword() },
      never,
    );
    const ready = await current(driver, id);
    expect(ready.phase).toBe("ready");
    const container = docker.getContainer(`launcher-${id}`);
    await container.pause(); // the app answers nothing now: every probe would miss
    try {
      const startedAt = Date.parse((await container.inspect()).State.StartedAt);
      while (Date.now() < startedAt + 1500) await new Promise((r) => setTimeout(r, 100));
      // A fresh driver (another launcher process) knows only what the engine records.
      const again = await current(makeDriver(), id);
      expect(again).toMatchObject({ phase: "ready", version: ready.version, url: ready.url });
    } finally {
      await container.unpause();
    }
    await driver.destroy(id);
    await expect(docker.getVolume(readyMarkName(id)).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it("rejects ensure for a container that exits before it is healthy, and observe shows it failed with its log", async () => {
    const driver = makeDriver();
    const id = newId();
    // No password: the test image refuses to start.
    await expect(driver.ensure(spec(id), {}, never)).rejects.toMatchObject({
      code: "platform",
      message: expect.stringMatching(/exited with code 2/),
    });
    const { last } = await until(driver, id, ["ready", "failed"]);
    expect(last.phase).toBe("failed");
    expect(last.error).toMatch(/exited with code 2/);
    expect(last.logTail.join("\n")).toContain("SCRATCHPAD_PASSWORD is not set");
    await driver.destroy(id);
  });
});
