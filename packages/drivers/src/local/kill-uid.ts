import { execFile } from "node:child_process";
import { SETPRIV } from "./isolation.ts";

/** How a command is run (tests watch it): `execFile`'s shape, settling when it ends. */
export type Run = (
  file: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv },
) => Promise<void>;

/** Runs a command; settles when it ends, however it ends. */
export const runQuietly: Run = (file, args, options) =>
  new Promise((resolve) => execFile(file, args, options, () => resolve()));

/**
 * Sends SIGKILL to every process running as `uid`, at once: as that uid, `kill(-1)`, which
 * signals every process it may signal (those whose real or saved uid is `uid`) but itself.
 * Unlike a look through /proc and a kill by pid, no fork can outrun it: a process that keeps
 * handing over to a child of its own and ending is never long at one pid, and the kernel
 * fails a fork once a fatal signal is pending. The shell that sends it runs as the uid with an
 * empty environment: the uid's processes may read its environment until the signal lands,
 * and the launcher's holds its keys. Never for root or this process's own uid (that would
 * kill the machine's or the launcher's processes); needs root (setpriv), else does nothing.
 * Resolves once the signal is sent; the processes may take a moment to vanish.
 */
export function killEveryProcessOf(uid: number, runner: Run = runQuietly): Promise<void> {
  if (!Number.isInteger(uid) || uid <= 0 || uid === process.getuid?.()) return Promise.resolve();
  const as = [`--reuid=${uid}`, `--regid=${uid}`, "--clear-groups"];
  return runner(SETPRIV, [...as, "--", "/bin/sh", "-c", "kill -9 -1"], { env: {} });
}
