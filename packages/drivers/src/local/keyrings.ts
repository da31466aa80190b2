import { SETPRIV } from "./isolation.ts";
import { type Run, runQuietly } from "./kill-uid.ts";

/** keyctl(2)'s number where the launcher runs (Linux has no one number across machines). */
const KEYCTL: Partial<Record<NodeJS.Architecture, number>> = { x64: 250, arm64: 219 };
/** KEYCTL_CLEAR, and the calling uid's user and user-session keyrings (linux/keyctl.h). */
const CLEAR = 7;
const USER_KEYRINGS = [-4, -5];

/**
 * Empties the kernel keyrings that belong to `uid` itself rather than to any process (its
 * user and user-session keyrings: `keyctl add user name data @u`). They outlive the uid's
 * processes, so the next instance given the uid would find there what the last one put. As
 * the uid, through Perl (perl-base is on every Debian-like machine) since Node cannot make the
 * call; with an empty environment. Never for root nor this process's own uid; does nothing on
 * a machine whose keyctl number is not known here.
 */
export function clearKeyringsOf(uid: number, runner: Run = runQuietly): Promise<void> {
  const keyctl = KEYCTL[process.arch];
  if (!Number.isInteger(uid) || uid <= 0 || uid === process.getuid?.() || keyctl === undefined) {
    return Promise.resolve();
  }
  const script = USER_KEYRINGS.map((ring) => `syscall(${keyctl}, ${CLEAR}, ${ring});`).join(" ");
  const as = [`--reuid=${uid}`, `--regid=${uid}`, "--clear-groups"];
  return runner(SETPRIV, [...as, "--", "/usr/bin/perl", "-e", script], { env: {} });
}
