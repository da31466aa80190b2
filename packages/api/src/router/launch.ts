import type { Driver, Template } from "@launcher/drivers";
import { type TRPCRouterRecord, tracked } from "@trpc/server";
import { assertOwner, callerOf } from "../ownership.ts";
import { toClientError } from "../platform-errors.ts";
import { admitLaunch } from "../quota-admission.ts";
import {
  DestroyInputSchema,
  DestroyOutputSchema,
  type FollowInput,
  FollowInputSchema,
  PrepareInputSchema,
  PrepareOutputSchema,
} from "../schemas.ts";
import { generateInstanceId, generateSecrets } from "../secrets.ts";
import { toSnapshot } from "../snapshot.ts";
import { SubscriptionLimitError, takeSubscriptionSlot } from "../subscription-limit.ts";
import { limit, openTicket, sealTicket } from "../ticket.ts";
import { instanceSpecOf, secretEnvOf } from "../ticket-launch.ts";
import { type LauncherContext, publicProcedure, TRPCError } from "../trpc.ts";

function resolveLaunch(
  ctx: LauncherContext,
  templateId: string,
  driverName: string,
): { template: Template; driver: Driver } {
  const template = ctx.deps.templates.find((t) => t.id === templateId);
  if (!template) throw new TRPCError({ code: "NOT_FOUND", message: `No template "${templateId}"` });
  const driver = ctx.deps.drivers.get(driverName);
  if (!driver || !template.drivers[driverName as keyof Template["drivers"]]) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `Template "${templateId}" does not run on driver "${driverName}" here`,
    });
  }
  return { template, driver };
}

/** The snapshots of one launch for one follower: the launch session does the rest. */
async function* followLaunch(ctx: LauncherContext, input: FollowInput, signal: AbortSignal) {
  limit(ctx.deps.limits.follow, ctx.clientAddress);
  const ticket = await openTicket(ctx, input.ticket);
  assertOwner(callerOf(ctx), ticket.owner);
  limit(ctx.deps.limits.followInstance, `${ticket.driver}:${ticket.id}`);
  const { template, driver } = resolveLaunch(ctx, ticket.template, ticket.driver);
  const launch = {
    driver,
    spec: instanceSpecOf(ticket, template, ctx.deps.instanceTtl),
    env: secretEnvOf(ticket, template),
    admit: admitLaunch(ctx.deps, ticket.owner, ticket.id),
  };
  const lastEventId = input.lastEventId == null ? undefined : Number(input.lastEventId);
  try {
    for await (const { eventId, observation } of ctx.deps.launches.follow(launch, {
      lastEventId,
      signal,
    })) {
      yield tracked(eventId, toSnapshot(ticket, template, observation));
    }
  } catch (error) {
    throw toClientError(error);
  }
}

export const launchRouter = {
  /** Draws the id and secrets and seals them into a ticket. No side effect. */
  prepare: publicProcedure
    .input(PrepareInputSchema)
    .output(PrepareOutputSchema)
    .mutation(async ({ ctx, input }) => {
      limit(ctx.deps.limits.prepare, ctx.clientAddress);
      const driverName = input.driver ?? ctx.deps.defaultDriver;
      const { template, driver } = resolveLaunch(ctx, input.template, driverName);
      const availability = await driver.availableFor(template);
      if (!availability.available) {
        throw new TRPCError({ code: "PRECONDITION_FAILED", message: availability.reason });
      }
      const id = generateInstanceId();
      const ticket = await sealTicket(ctx, {
        v: 1,
        id,
        template: template.id,
        driver: driverName,
        createdAt: Date.now(),
        owner: ctx.user,
        secrets: generateSecrets(template.secrets),
      });
      ctx.deps.logger.info({ id, template: template.id, driver: driverName }, "launch prepared");
      return { id, ticket };
    }),

  /**
   * Ensures the instance exists and streams its snapshots until a terminal phase.
   * Resumes from `lastEventId`; a terminal snapshot is always sent once more.
   * No `.output()`: tRPC 11 would validate the generator, not each event. Every event is a
   * `Snapshot` (the type of `SnapshotSchema`) built by `toSnapshot`.
   */
  follow: publicProcedure.input(FollowInputSchema).subscription(async function* ({
    ctx,
    input,
    signal,
  }) {
    let releaseSlot: () => void;
    try {
      releaseSlot = takeSubscriptionSlot(
        ctx.connection,
        ctx.deps.maxSubscriptions ?? Number.POSITIVE_INFINITY,
      );
    } catch (error) {
      if (!(error instanceof SubscriptionLimitError)) throw error;
      throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: error.message, cause: error });
    }
    try {
      yield* followLaunch(ctx, input, signal ?? new AbortController().signal);
    } finally {
      releaseSlot();
    }
  }),

  /** Tears the instance down; idempotent. `follow` afterwards ends in `destroyed`. */
  destroy: publicProcedure
    .input(DestroyInputSchema)
    .output(DestroyOutputSchema)
    .mutation(async ({ ctx, input }) => {
      const ticket = await openTicket(ctx, input.ticket);
      assertOwner(callerOf(ctx), ticket.owner);
      // Each destroy may leave a tombstone on the platform, even for a merely prepared ticket.
      limit(ctx.deps.limits.destroy, ctx.clientAddress);
      // Only the driver: a template no longer offered (or a fixture) can still be torn down.
      const driver = ctx.deps.drivers.get(ticket.driver);
      if (!driver) {
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: `Driver "${ticket.driver}" is not configured here`,
        });
      }
      await driver.destroy(ticket.id).catch((error: unknown) => {
        throw toClientError(error);
      });
      ctx.deps.logger.info({ id: ticket.id }, "instance destroyed");
      return { id: ticket.id, phase: "destroyed" as const };
    }),
} satisfies TRPCRouterRecord;
