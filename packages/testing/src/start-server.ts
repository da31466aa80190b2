import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { instanceMonitorPids } from "./processes.ts";

/** The built server's entry; tests run the real thing, built by `pnpm build`. */
export const SERVER_MAIN = resolve(import.meta.dirname, "../../../apps/server/dist/main.js");

export interface StartServerOptions {
  /** Shared state dir (the local driver's platform); a fresh temp dir by default. */
  stateDir?: string;
  /** `LAUNCHER_KEYS`; a fresh keyring by default. */
  keys?: string;
  /** A fixed port (a replica's restart); a free one by default. */
  port?: number;
  /** Extra environment. */
  env?: Record<string, string>;
  /** Run the server as its own process group leader, so `kill` can hit the whole group. */
  processGroup?: boolean;
  /**
   * Start it in this directory with the default, relative state and work dirs (`.launcher`,
   * `.launcher-instances`), as `pnpm start` does; `stateDir` is ignored then.
   */
  cwd?: string;
}

export interface TestServer extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly stateDir: string;
  readonly workDir: string;
  readonly keys: string;
  readonly pid: number | undefined;
  /**
   * Stops the server process (SIGKILL by default) and waits until it is gone. With
   * `processGroup`, the signal goes to the server's whole process group.
   */
  kill(signal?: "SIGKILL" | "SIGTERM"): Promise<void>;
  /** Starts it again on the same port with the same state and keys. */
  restart(): Promise<void>;
  /** Everything the server wrote to stdout and stderr, over all its runs. */
  output(): string;
  /** Kills the server, every instance it started, and removes its temp dirs. */
  dispose(): Promise<void>;
}

/** A keyring string with one fresh key, as `LAUNCHER_KEYS` takes it. */
export function makeTestKeys(id = "t1"): string {
  return `${id}:${randomBytes(32).toString("base64url")}`;
}

function waitForListening(
  child: ChildProcess,
  log: { text: string },
  timeoutMs: number,
): Promise<number> {
  return new Promise((resolvePort, reject) => {
    let buffered = "";
    const timer = setTimeout(
      () => fail(new Error(`server did not listen within ${timeoutMs} ms:\n${log.text}`)),
      timeoutMs,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? ""; // a line not yet complete waits for the rest
      for (const line of lines) {
        if (!line.includes('"msg":"listening"')) continue;
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.off("exit", onExit);
        resolvePort(JSON.parse(line).port);
        return;
      }
    };
    const onExit = (code: number | null) =>
      fail(new Error(`server exited (${code}) before listening:\n${log.text}`));
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
  });
}

/** Kills every instance (monitor and app: one process group each) started from `stateDir`. */
export async function killInstances(stateDir: string): Promise<void> {
  for (const pid of await instanceMonitorPids(stateDir)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
}

/**
 * Starts the real built server as a child process on a free port.
 * @example
 * const server = await startServer();
 * try { ... fetch(`${server.url}/health`) ... } finally { await server.dispose(); }
 */
export async function startServer(options: StartServerOptions = {}): Promise<TestServer> {
  // Its real path: the server resolves its dirs against its cwd, which is real (getcwd), and
  // its instances are found by their command lines, which name those dirs.
  const cwd = options.cwd === undefined ? undefined : await realpath(options.cwd);
  const ownState = options.stateDir === undefined || cwd !== undefined;
  const stateDir = cwd
    ? join(cwd, ".launcher")
    : (options.stateDir ?? (await mkdtemp(join(tmpdir(), "launcher-test-state-"))));
  const workDir = cwd
    ? join(cwd, ".launcher-instances")
    : await mkdtemp(join(tmpdir(), "launcher-test-work-"));
  // With `cwd`, the server finds its dirs by their default, relative names.
  const dirs = cwd ? {} : { LAUNCHER_STATE_DIR: stateDir, LAUNCHER_WORK_DIR: workDir };
  const keys = options.keys ?? makeTestKeys();
  const log = { text: "" };
  let port = options.port ?? 0;
  let child: ChildProcess | undefined;

  const launch = async () => {
    child = spawn(process.execPath, [SERVER_MAIN], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/root",
        PORT: String(port),
        HOST: "127.0.0.1",
        ...dirs,
        LAUNCHER_KEYS: keys,
        LAUNCHER_LOG_LEVEL: "info",
        // Tests launch many instances as the one user `local`; the quotas' own tests set it.
        LAUNCHER_MAX_INSTANCES_PER_USER: "1000",
        ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: options.processGroup ?? false,
      ...(cwd ? { cwd } : {}),
    });
    const capture = (chunk: Buffer) => {
      log.text += chunk.toString();
    };
    child.stdout!.on("data", capture);
    child.stderr!.on("data", capture);
    port = await waitForListening(child, log, 20_000);
  };

  const kill = async (signal: "SIGKILL" | "SIGTERM" = "SIGKILL") => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((r) => current.once("exit", r));
    if (options.processGroup && current.pid) process.kill(-current.pid, signal);
    else current.kill(signal);
    await exited;
  };

  await launch();
  const server: TestServer = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get pid() {
      return child?.pid;
    },
    stateDir,
    workDir,
    keys,
    kill,
    restart: launch,
    output: () => log.text,
    async dispose() {
      await kill("SIGKILL");
      await killInstances(stateDir);
      await rm(workDir, { recursive: true, force: true });
      if (ownState) await rm(stateDir, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]: () => server.dispose(),
  };
  return server;
}
