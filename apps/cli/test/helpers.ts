import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { instanceMonitorPids } from "@launcher/testing";

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

/** The local driver's monitor processes for instances of `stateDir` (one per instance). */
export async function instanceMonitors(stateDir: string): Promise<number> {
  return (await instanceMonitorPids(stateDir)).length;
}

/** Logs in to a Scratchpad with HTTP Basic auth. */
export async function basicLogin(url: string, password: string): Promise<number> {
  const auth = Buffer.from(`user:${password}`).toString("base64");
  const response = await fetch(url, { headers: { authorization: `Basic ${auth}` } });
  await response.arrayBuffer();
  return response.status;
}
