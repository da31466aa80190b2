import type { QuotaInfo, StoredSnapshot } from "@launcher/client";

/** "scratchpad" → "Scratchpad". */
export const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/** "0.8 s", "42 s", "2 min 05 s". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.floor(seconds)} s`;
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
}

/** When the launch reached its end (the last step's end), or `undefined` while it runs. */
export function makeEndedAt(snapshot: StoredSnapshot): number | undefined {
  let end: number | undefined;
  for (const step of snapshot.steps) {
    if (step.endedAt !== undefined && (end === undefined || step.endedAt > end)) end = step.endedAt;
  }
  return end;
}

/** The step that failed, else the one that was running when the launch failed. */
export function makeFailedStep(snapshot: StoredSnapshot) {
  return (
    snapshot.steps.find((s) => s.state === "failed") ??
    snapshot.steps.find((s) => s.state === "running")
  );
}

/** `url` when it is a web address (`http:` or `https:`), so that it can be a link; else nothing. */
export function makeSafeHref(url: string): string | undefined {
  try {
    const { protocol } = new URL(url);
    return protocol === "http:" || protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}

/** How far away a moment is, coarsely: "45 s", "12 min", "3 h 5 min". */
export function formatSpan(ms: number): string {
  const min = Math.floor(ms / 60_000);
  return min < 1
    ? `${Math.max(0, Math.round(ms / 1000))} s`
    : min < 60
      ? `${min} min`
      : `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** "expires in 3 h 5 min", or "expired" once past. */
export function formatExpiry(expiresAt: number, now: number): string {
  return expiresAt <= now ? "expired" : `expires in ${formatSpan(expiresAt - now)}`;
}

/** Why a quota stopped a launch, and what to do about it. */
export function describeQuota({ scope, limit, used }: QuotaInfo): string {
  return scope === "user"
    ? `You have ${used} of ${limit} instances running. Destroy one, then try again.`
    : `All users together have ${used} of ${limit} instances running. Try again when one ends.`;
}
