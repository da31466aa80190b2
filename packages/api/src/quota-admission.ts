import { TRPCError } from "@trpc/server";
import type { LauncherDeps } from "./deps.ts";
import type { Launch } from "./launch-session.ts";
import { QuotaError } from "./quota.ts";

/**
 * The quota check of one launch, for `Launch.admit`: the instance counts against its owner
 * (the ticket's, whoever follows it). Past a limit the follow is refused `FORBIDDEN` with
 * `data.quota` before anything starts; the ticket stays good for a later try.
 */
export function admitLaunch(
  deps: LauncherDeps,
  owner: string,
  id: string,
): Launch["admit"] | undefined {
  const { quotas } = deps;
  if (!quotas) return undefined;
  return () =>
    quotas.admit(owner, id).catch((error: unknown) => {
      if (!(error instanceof QuotaError)) throw error;
      deps.logger.info({ id, scope: error.scope, limit: error.limit }, "launch refused: quota");
      throw new TRPCError({ code: "FORBIDDEN", message: error.message, cause: error });
    });
}
