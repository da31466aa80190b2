// examples/python/launch.py: a client in another language, written from docs/protocol.md,
// launches against a real server. Debian's Python with python3-websockets (scripts/ci-deps.sh).
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT, startServer, type TestServer, waitFor } from "@launcher/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basicAuth } from "./client.ts";

/** Debian's interpreter, which sees Debian's python3-websockets (a pyenv one would not). */
const PYTHON = "/usr/bin/python3";
const SCRIPT = join(REPO_ROOT, "examples/python/launch.py");

let server: TestServer;

const pythonCheck = spawnSync(PYTHON, ["-c", "import websockets"], { encoding: "utf8" });
/** Missing here: skipped, and counted as skipped; under CI it must be there (below). */
const hasPythonWebsockets = pythonCheck.status === 0;

beforeAll(async () => {
  if (!hasPythonWebsockets) {
    throw new Error(
      `examples/python needs Debian's Python 3 with websockets: apt-get install python3 python3-websockets (${pythonCheck.error?.message ?? pythonCheck.stderr.trim()})`,
    );
  }
  server = await startServer({ env: { LAUNCHER_FIXTURES: "1" } });
});
afterAll(async () => {
  await server?.dispose();
});

function runScript(args: string[]) {
  const child = spawn(PYTHON, [SCRIPT, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number>((resolve) =>
    child.once("close", (code) => resolve(code ?? 1)),
  );
  return { exited, stdout: () => stdout, stderr: () => stderr };
}

describe.skipIf(!hasPythonWebsockets && !process.env.CI)("examples/python/launch.py", () => {
  it("prepares, follows and prints the ready snapshot as JSON on its last line, exit 0", async () => {
    const run = runScript([server.url, "scratchpad"]);
    expect(await run.exited, run.stderr()).toBe(0);
    const snapshot = JSON.parse(run.stdout().trim().split("\n").at(-1)!);
    expect(snapshot.phase).toBe("ready");
    expect(snapshot.template).toBe("scratchpad");
    const password = snapshot.access.credentials.password;
    expect(password).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    const login = await fetch(snapshot.access.url, { headers: basicAuth(password) });
    expect(login.status).toBe(200);
    expect(run.stderr()).toMatch(/^preparing$/m);
  });

  it("follows on through a server restart (the reconnect notice), resuming from its last event", async () => {
    const run = runScript([server.url, "scratchpad-slow"]);
    await waitFor(() => /^starting/m.test(run.stderr()), "the launch to start");
    await server.kill("SIGTERM");
    await server.restart();
    expect(await run.exited, run.stderr()).toBe(0);
    expect(run.stderr()).toMatch(/reconnecting/);
    const snapshot = JSON.parse(run.stdout().trim().split("\n").at(-1)!);
    expect(snapshot.phase).toBe("ready");
    // Resumed with lastEventId: nothing older than what it had seen came again.
    const phases = run.stderr().match(/^(preparing|creating|starting|checking|ready)\b/gm) ?? [];
    expect(phases.filter((p) => p === "preparing")).toHaveLength(1);
  });

  it("says why and exits 1 when the server refuses the launch", async () => {
    const run = runScript([server.url, "no-such-template"]);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/NOT_FOUND: No template "no-such-template"/);
    expect(run.stdout()).toBe("");
  });
});
