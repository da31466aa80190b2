import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTestKeys, SERVER_MAIN } from "@launcher/testing";

/** A bare Node HTTP server: what any Node server costs before it does anything. */
const BARE_SERVER =
  "require('node:http').createServer((q, s) => s.end()).listen(0, '127.0.0.1', () => console.log('listening'))";

export interface StartSample {
  /** Spawn → the "listening" line on stdout, in ms. */
  startMs: number;
  /** Resident memory once idle, in MiB. */
  idleRssMiB: number;
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

function untilLine(child: ChildProcess, needle: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      if (buffered.includes(needle)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`exited (${code}) before "${needle}"`)));
  });
}

async function sample(args: string[], env: NodeJS.ProcessEnv, idleMs: number) {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "inherit"] });
  try {
    await untilLine(child, "listening");
    const startMs = performance.now() - started;
    // Idle: nothing asked of it; the start's own work (a first sweep) is over by then.
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    return { startMs, idleRssMiB: await rssMiB(child.pid!) };
  } finally {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }
}

/**
 * `node apps/server/dist/main.js` from spawn to listening, and its idle RSS, `runs` times, each
 * with a fresh state dir; beside it, the same of a bare Node HTTP server (the floor).
 */
export async function measureStart(runs: number, idleMs = 2000) {
  const server: StartSample[] = [];
  const bare: StartSample[] = [];
  for (let i = 0; i < runs; i++) {
    const stateDir = await mkdtemp(join(tmpdir(), "launcher-bench-start-"));
    try {
      server.push(
        await sample(
          [SERVER_MAIN],
          {
            PATH: process.env.PATH,
            HOME: process.env.HOME,
            PORT: "0",
            LAUNCHER_STATE_DIR: stateDir,
            LAUNCHER_KEYS: makeTestKeys(),
          },
          idleMs,
        ),
      );
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
    bare.push(await sample(["-e", BARE_SERVER], { PATH: process.env.PATH }, idleMs));
  }
  return { server, bare };
}
