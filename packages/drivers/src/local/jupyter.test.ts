import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTree, waitFor } from "@launcher/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Observation } from "../driver.ts";
import { bundledTemplates } from "../templates/index.ts";
import { createLocalDriver } from "./local-driver.ts";
import { hasJupyter, processesNaming } from "./local-test-kit.ts";

if (!hasJupyter && process.env.CI)
  throw new Error("CI must have jupyter on PATH (scripts/ci-deps.sh)");

const template = bundledTemplates().find((t) => t.id === "jupyter")!;
let stateDir = "";
let workRoot = "";

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "launcher-jupyter-state-"));
  workRoot = await mkdtemp(join(tmpdir(), "launcher-jupyter-work-"));
});
afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
  await rm(workRoot, { recursive: true, force: true });
});

describe.skipIf(!hasJupyter)("jupyter on the local driver", () => {
  it("launches a real notebook server that wants the generated token", async () => {
    const driver = createLocalDriver({ stateDir, workRoot, pollMs: 100 });
    expect(await driver.availableFor(template)).toEqual({ available: true });
    const id = crypto.randomUUID().replaceAll("-", "");
    const token = "jupyterTokenForTheTest_0123456789";
    await driver.ensure(
      { id, template, createdAt: Date.now(), owner: "local", expiresAt: Date.now() + 3_600_000 },
      { JUPYTER_TOKEN: token },
      new AbortController().signal,
    );
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 60_000);
    let last: Observation | undefined;
    for await (const o of driver.observe(id, controller.signal)) {
      last = o;
      if (o.phase === "ready" || o.phase === "failed") break;
    }
    clearTimeout(timer);
    expect(last?.phase, last?.logTail.join("\n")).toBe("ready");
    const base = last!.url!;
    expect(base).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/${id}/$`));
    const withToken = await fetch(`${base}api/contents`, {
      headers: { authorization: `token ${token}` },
    });
    expect(withToken.status).toBe(200);
    const without = await fetch(`${base}api/contents`);
    expect(without.status).toBe(403);
    // Its files live in its own folder outside the state dir, and nothing kept holds the token.
    expect(
      await readFile(join(workRoot, id, "home", ".bash_history"), "utf8").catch(() => ""),
    ).toBe("");
    const log = await readFile(join(stateDir, "instances", id, "log"), "utf8");
    expect(log).toContain("Jupyter Notebook");
    for (const file of await readTree(stateDir)) expect(file.text, file.path).not.toContain(token);
    // A kernel runs in a session of its own: destroy must end it too.
    const kernel = await fetch(`${base}api/kernels`, {
      method: "POST",
      headers: { authorization: `token ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "python3" }),
    });
    expect(kernel.status).toBe(201);
    const kernels = async () =>
      (await processesNaming(`LAUNCHER_INSTANCE=${id}`)).filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("ipykernel");
        } catch {
          return false;
        }
      });
    await waitFor(async () => (await kernels()).length > 0, "the kernel to start", {
      timeoutMs: 30_000,
    });
    await driver.destroy(id);
    expect(await processesNaming(`LAUNCHER_INSTANCE=${id}`)).toEqual([]);
    expect(await readTree(join(workRoot, id))).toEqual([]);
  }, 90_000);
});
