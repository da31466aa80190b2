import {
  type Access,
  INSTANCE_ID_PATTERN,
  PHASES,
  type Snapshot,
  STEP_STATES,
  type Step,
} from "@launcher/contract";
import { z } from "zod";

// The shapes of snapshots, steps and access are the contract's (one home for the vocabulary):
// these schemas check them on the wire and are held to them with `satisfies`.
export type { Access, Snapshot };

/** An instance id: 128 random bits as 32 lowercase hex characters. */
export const InstanceIdSchema = z.string().regex(INSTANCE_ID_PATTERN);
/**
 * A sealed ticket. Its length and format are judged by crypto-token when it is opened, so
 * that an empty or oversized ticket is refused like any other (`UNAUTHORIZED` with
 * `tokenCode` `missing` / `too_large`); the bound here only caps what is parsed at all.
 */
export const TicketSchema = z.string().max(65_536);

export const PhaseSchema = z.enum(PHASES);

export const StepSchema = z.object({
  key: z.string(),
  label: z.string(),
  state: z.enum(STEP_STATES),
  progress: z.number().min(0).max(1).optional(),
  startedAt: z.number().optional(),
  endedAt: z.number().optional(),
}) satisfies z.ZodType<Step>;

/** How to reach a ready instance. Only in `ready` snapshots; never stored by clients. */
export const AccessSchema = z.object({
  url: z.string().url(),
  credentials: z.record(z.string(), z.string()),
}) satisfies z.ZodType<Access>;

/**
 * One state of a launch. `version` grows monotonically and is the tracked event id
 * (as a decimal string). Times are epoch milliseconds.
 */
export const SnapshotSchema = z.object({
  id: InstanceIdSchema,
  template: z.string(),
  driver: z.string(),
  /** When the launch was prepared (the ticket was issued). */
  createdAt: z.number(),
  version: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  phase: PhaseSchema,
  steps: z.array(StepSchema),
  logTail: z.array(z.string()),
  message: z.string().optional(),
  access: AccessSchema.optional(),
  error: z.string().optional(),
}) satisfies z.ZodType<Snapshot>;

export const AvailabilitySchema = z.object({
  available: z.boolean(),
  /** Why not (unavailable), or a detail such as the engine version. */
  reason: z.string().optional(),
});

export const TemplateListSchema = z.object({
  defaultTemplate: z.string(),
  defaultDriver: z.string(),
  drivers: z.array(z.object({ name: z.string() }).extend(AvailabilitySchema.shape)),
  templates: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      description: z.string(),
      credentials: z.array(z.string()),
      drivers: z.array(z.object({ driver: z.string() }).extend(AvailabilitySchema.shape)),
    }),
  ),
});

export const PrepareInputSchema = z.object({
  template: z.string().min(1).max(64),
  driver: z.string().min(1).max(32).optional(),
});
export const PrepareOutputSchema = z.object({ id: InstanceIdSchema, ticket: TicketSchema });

export const FollowInputSchema = z.object({
  ticket: TicketSchema,
  /** The last event id the client saw: a version, as a decimal string (a safe integer). */
  lastEventId: z
    .string()
    .regex(/^\d{1,16}$/)
    .refine((id) => Number(id) <= Number.MAX_SAFE_INTEGER, "a version beyond 2^53 - 1")
    .nullish(),
});

export const DestroyInputSchema = z.object({ ticket: TicketSchema });
export const DestroyOutputSchema = z.object({
  id: InstanceIdSchema,
  phase: z.literal("destroyed"),
});

/** An instance as `instances.list` shows it: no secret, no ticket. Times are epoch ms. */
export const InstanceSchema = z.object({
  id: InstanceIdSchema,
  /** Who launched it. */
  owner: z.string(),
  /** The template's id. */
  template: z.string(),
  driver: z.string(),
  phase: PhaseSchema,
  createdAt: z.number(),
  /** When the reaper ends it. */
  expiresAt: z.number(),
});
/** `instances.list`: the caller's instances, or everyone's (`all`, admins only). */
export const InstanceListInputSchema = z.object({ all: z.boolean().optional() }).optional();
export const InstanceListSchema = z.object({ instances: z.array(InstanceSchema) });
export const InstanceDestroyInputSchema = z.object({ id: InstanceIdSchema });

export const HealthSchema = z.object({ ok: z.literal(true), version: z.string() });

/** What a ticket holds, sealed with purpose `launch`. */
export const TicketPayloadSchema = z.object({
  v: z.literal(1),
  id: InstanceIdSchema,
  template: z.string(),
  driver: z.string(),
  createdAt: z.number(),
  /** Who launched it; tickets sealed before owners existed belong to `local`. */
  owner: z.string().min(1).max(256).default("local"),
  /** Generated secrets by name (`password`, `token`). */
  secrets: z.record(z.string(), z.string()),
});

export type TemplateList = z.infer<typeof TemplateListSchema>;
export type TicketPayload = z.infer<typeof TicketPayloadSchema>;
export type TicketPayloadInput = z.input<typeof TicketPayloadSchema>;
export type FollowInput = z.infer<typeof FollowInputSchema>;
export type Instance = z.infer<typeof InstanceSchema>;
