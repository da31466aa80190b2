import { type ChildProcess, spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { resolve } from "node:path";

/** The built CLI: tests run what users run. */
export const CLI_MAIN = resolve(import.meta.dirname, "../dist/main.js");

export interface CliRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (a signal counts as 128 + its number). */
  exited: Promise<number>;
}

export function spawnCli(args: string[], env: Record<string, string>): CliRun {
  const child = spawn(process.execPath, [CLI_MAIN, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: env.XDG_STATE_HOME ?? "/nonexistent", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number>((resolveExit) => {
    child.once("close", (code, signal) => {
      resolveExit(code ?? (signal === "SIGKILL" ? 137 : signal === "SIGINT" ? 130 : 128));
    });
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

export async function runCli(args: string[], env: Record<string, string>) {
  const run = spawnCli(args, env);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** Waits for a condition, polling; fails after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The local driver's monitor processes for instances of `stateDir` (one per instance). */
export async function instanceMonitors(stateDir: string): Promise<number> {
  let count = 0;
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes("launcher-monitor.mjs") && cmdline.includes(stateDir)) count++;
  }
  return count;
}

/** Logs in to a Scratchpad with HTTP Basic auth. */
export async function basicLogin(url: string, password: string): Promise<number> {
  const auth = Buffer.from(`user:${password}`).toString("base64");
  const response = await fetch(url, { headers: { authorization: `Basic ${auth}` } });
  await response.arrayBuffer();
  return response.status;
}
