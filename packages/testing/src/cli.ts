import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";

/** The built CLI's entry: tests run what users run, built by `pnpm build`. */
export const CLI_MAIN = resolve(import.meta.dirname, "../../../apps/cli/dist/main.js");

export interface CliRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (a signal counts as 128 + its number). */
  exited: Promise<number>;
}

/**
 * Starts `launcher args` with only `env` (and PATH; HOME is `XDG_STATE_HOME` unless given),
 * so that nothing of the test's own environment reaches it.
 */
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

/** Runs `launcher args` to its end. */
export async function runCli(args: string[], env: Record<string, string>) {
  const run = spawnCli(args, env);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}
