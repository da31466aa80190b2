import { DriverError, isInstanceId } from "@launcher/drivers";
import type { TRPCRouterRecord } from "@trpc/server";
import { listerOf } from "../instance-lister.ts";
import { assertAdmin, assertOwner, callerOf } from "../ownership.ts";
import { toClientError } from "../platform-errors.ts";
import {
  DestroyOutputSchema,
  type Instance,
  InstanceDestroyInputSchema,
  InstanceListInputSchema,
  InstanceListSchema,
} from "../schemas.ts";
import { limit } from "../ticket.ts";
import { publicProcedure, TRPCError } from "../trpc.ts";

/**
 * The instances the platforms hold, whoever launched them and from wherever: no ticket needed,
 * so "my instances" is the same on every tab, device and replica. Read from every available
 * driver's `list()` each time (the platforms are the database).
 */
export const instancesRouter = {
  /** The caller's instances (failed ones too, destroyed ones not), or everyone's for an admin. */
  list: publicProcedure
    .input(InstanceListInputSchema)
    .output(InstanceListSchema)
    .query(async ({ ctx, input }) => {
      const caller = callerOf(ctx);
      if (input?.all) assertAdmin(caller, "list everyone's instances");
      const { instances } = await listerOf(ctx.deps).list();
      const shown: Instance[] = instances
        .filter((i) => isInstanceId(i.id) && (input?.all || i.owner === caller.user))
        .map(({ id, owner, template, driver, phase, createdAt, expiresAt }) => ({
          id,
          owner,
          template,
          driver,
          phase,
          createdAt,
          expiresAt,
        }))
        .sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id));
      return { instances: shown };
    }),

  /**
   * Destroys an instance by id, without its ticket: its owner or an admin. The same teardown
   * and tombstone as `launch.destroy` (a follow of its ticket then ends `destroyed`).
   */
  destroy: publicProcedure
    .input(InstanceDestroyInputSchema)
    .output(DestroyOutputSchema)
    .mutation(async ({ ctx, input }) => {
      const caller = callerOf(ctx);
      limit(ctx.deps.limits.destroy, ctx.clientAddress);
      const { instances, reached, unreached } = await listerOf(ctx.deps).list();
      const instance = instances.find((i) => i.id === input.id);
      const driver = reached.find((d) => d.name === instance?.driver);
      if (!instance || !driver) {
        // Not found where we looked; a platform that did not answer may still hold it.
        if (unreached.length > 0) {
          const why = `Not every platform answered (${unreached.join(", ")}): try again in a moment`;
          throw toClientError(new DriverError("unavailable", why));
        }
        throw new TRPCError({ code: "NOT_FOUND", message: `No instance ${input.id} here` });
      }
      assertOwner(caller, instance.owner);
      await driver.destroy(instance.id, "destroyed").catch((error: unknown) => {
        throw toClientError(error);
      });
      const by = caller.user === instance.owner ? "owner" : "admin";
      ctx.deps.logger.info(
        { id: instance.id, driver: driver.name, by },
        "instance destroyed by id",
      );
      return { id: instance.id, phase: "destroyed" as const };
    }),
} satisfies TRPCRouterRecord;
