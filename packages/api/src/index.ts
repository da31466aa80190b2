export {
  type AuthCode,
  AuthError,
  type AuthReason,
  type AuthRefusal,
} from "./auth-error.ts";
export type { LauncherDeps, LauncherLimits, LauncherLogger } from "./deps.ts";
export {
  createInstanceLister,
  type InstanceLister,
  type InstanceListerOptions,
  type InstanceListing,
  type ListedInstance,
} from "./instance-lister.ts";
export {
  createLaunchSessions,
  type Launch,
  type LaunchEvent,
  type LaunchSessions,
  type LaunchSessionsOptions,
} from "./launch-session.ts";
export {
  createObservationHub,
  type ObservationHub,
  type ObservationHubOptions,
} from "./observation-hub.ts";
export { isPlatformHiccup } from "./platform-errors.ts";
export {
  type Admission,
  createQuotas,
  QuotaError,
  type QuotaScope,
  type Quotas,
  type QuotasOptions,
} from "./quota.ts";
export {
  addressKey,
  createRateLimiter,
  RateLimitError,
  type RateLimiter,
  type RateLimiterOptions,
} from "./rate-limit.ts";
export { createReaper, type Reaper, type ReaperOptions, type ReapResult } from "./reaper.ts";
export { type AppRouter, appRouter } from "./root.ts";
export { type Me, MeSchema } from "./router/me.ts";
export {
  type Access,
  AccessSchema,
  DestroyInputSchema,
  type FollowInput,
  FollowInputSchema,
  type Instance,
  InstanceDestroyInputSchema,
  InstanceIdSchema,
  InstanceListInputSchema,
  InstanceListSchema,
  InstanceSchema,
  PrepareInputSchema,
  PrepareOutputSchema,
  type Snapshot,
  SnapshotSchema,
  type TemplateList,
  TemplateListSchema,
  type TicketPayload,
  type TicketPayloadInput,
  TicketPayloadSchema,
} from "./schemas.ts";
export { generateInstanceId, generateSecret } from "./secrets.ts";
export {
  type ConnectionState,
  SubscriptionLimitError,
} from "./subscription-limit.ts";
export { TICKET_PURPOSE } from "./ticket.ts";
export { DEFAULT_INSTANCE_TTL, instanceSpecOf } from "./ticket-launch.ts";
export { createCallerFactory, type LauncherContext } from "./trpc.ts";
