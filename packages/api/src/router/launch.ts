import type { Driver, Observation, Template } from "@launcher/drivers";
import { DriverError, isTerminal } from "@launcher/drivers";
import { type TRPCRouterRecord, tracked } from "@trpc/server";
import {
  DestroyInputSchema,
  DestroyOutputSchema,
  type FollowInput,
  FollowInputSchema,
  PrepareInputSchema,
  PrepareOutputSchema,
  type Snapshot,
  type TicketPayload,
} from "../schemas.ts";
import { generateInstanceId, generateSecrets } from "../secrets.ts";
import { SubscriptionLimitError, takeSubscriptionSlot } from "../subscription-limit.ts";
import { openTicket, rateLimited, sealTicket } from "../ticket.ts";
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

/** Replaces every generated secret by a marker, in case an app printed one. */
function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join("[redacted]");
  return out;
}

function toSnapshot(ticket: TicketPayload, template: Template, o: Observation): Snapshot {
  const secrets = Object.values(ticket.secrets);
  const snapshot: Snapshot = {
    id: ticket.id,
    template: ticket.template,
    driver: ticket.driver,
    createdAt: ticket.createdAt,
    version: o.version,
    phase: o.phase,
    steps: o.steps,
    logTail: o.logTail.map((line) => redact(line, secrets)),
  };
  if (o.message) snapshot.message = redact(o.message, secrets);
  if (o.error) snapshot.error = redact(o.error, secrets);
  if (o.phase === "ready" && o.url) {
    const names = template.secrets.filter((s) => s.credential).map((s) => s.name);
    snapshot.access = {
      url: o.url,
      credentials: Object.fromEntries(names.map((n) => [n, ticket.secrets[n] ?? ""])),
    };
  }
  return snapshot;
}

/** A platform failure is `SERVICE_UNAVAILABLE` (with `data.driverCode`); others pass. */
function platformUnavailable(error: unknown): unknown {
  if (!(error instanceof DriverError)) return error;
  return new TRPCError({ code: "SERVICE_UNAVAILABLE", message: error.message, cause: error });
}

async function* followPlatform<T>(source: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* source;
  } catch (error) {
    throw platformUnavailable(error);
  }
}

/** The snapshots of one launch for one follower: see `follow`. */
async function* followLaunch(
  ctx: LauncherContext,
  input: FollowInput,
  signal: AbortSignal | undefined,
) {
  const ticket = await openTicket(ctx, input.ticket);
  const { template, driver } = resolveLaunch(ctx, ticket.template, ticket.driver);
  const last = input.lastEventId == null ? undefined : Number(input.lastEventId);
  const aborted = signal ?? new AbortController().signal;
  let ensured = false;
  for await (const observation of followPlatform(ctx.deps.hub.watch(driver, ticket.id, aborted))) {
    const terminal = isTerminal(observation.phase);
    if (!ensured && !terminal) {
      ensured = true;
      if (observation.version === 0 && last === undefined) {
        // A launch the platform does not know yet: say so before anything starts.
        yield tracked("0", toSnapshot(ticket, template, observation));
      }
      const env = Object.fromEntries(
        template.secrets.map((s) => [s.env, ticket.secrets[s.name] ?? ""]),
      );
      void ctx.deps.hub.ensure(
        driver,
        {
          id: ticket.id,
          template,
          createdAt: ticket.createdAt,
          owner: "local",
          expiresAt: ticket.createdAt + (template.ttl ?? 28_800) * 1000,
        },
        env,
      );
      if (observation.version === 0) continue;
    }
    if (last !== undefined && observation.version <= last && !terminal) continue;
    yield tracked(String(observation.version), toSnapshot(ticket, template, observation));
    if (terminal) return;
  }
}

export const launchRouter = {
  /** Draws the id and secrets and seals them into a ticket. No side effect. */
  prepare: publicProcedure
    .input(PrepareInputSchema)
    .output(PrepareOutputSchema)
    .mutation(async ({ ctx, input }) => {
      try {
        ctx.deps.limits.prepare.hit(ctx.clientAddress);
      } catch (error) {
        throw rateLimited(error);
      }
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
      yield* followLaunch(ctx, input, signal);
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
      // Only the driver: a template no longer offered (or a fixture) can still be torn down.
      const driver = ctx.deps.drivers.get(ticket.driver);
      if (!driver) {
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: `Driver "${ticket.driver}" is not configured here`,
        });
      }
      await driver.destroy(ticket.id).catch((error: unknown) => {
        throw platformUnavailable(error);
      });
      ctx.deps.logger.info({ id: ticket.id }, "instance destroyed");
      return { id: ticket.id, phase: "destroyed" as const };
    }),
} satisfies TRPCRouterRecord;
