import { TRPCError } from "@trpc/server";
import type { LauncherDeps } from "./deps.ts";
import type { Launch } from "./launch-session.ts";
import { QuotaError } from "./quota.ts";

/**
 * The quota check of one launch, for `Launch.admit`: the instance counts against its owner
 * (the ticket's, whoever follows it). Past a limit the follow is refused `FORBIDDEN` with
 * `data.quota`, before anything starts (or at its turn, when another replica took the room
 * meanwhile); the ticket stays good for a later try.
 */
export function admitLaunch(
  deps: LauncherDeps,
  owner: string,
  id: string,
): Launch["admit"] | undefined {
  const { quotas } = deps;
  if (!quotas) return undefined;
  const refuse = (error: unknown): never => {
    if (!(error instanceof QuotaError)) throw error;
    deps.logger.info({ id, scope: error.scope, limit: error.limit }, "launch refused: quota");
    throw new TRPCError({ code: "FORBIDDEN", message: error.message, cause: error });
  };
  return async () => {
    const admission = await quotas.admit(owner, id).catch(refuse);
    return {
      turn: (signal) => admission.turn(signal).catch(refuse),
      end: () => admission.end(),
    };
  };
}
