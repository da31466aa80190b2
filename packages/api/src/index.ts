export {
  type AuthCode,
  AuthError,
  type AuthReason,
  type AuthRefusal,
} from "./auth-error.ts";
export type { LauncherDeps, LauncherLogger } from "./deps.ts";
export { createObservationHub, type ObservationHub } from "./observation-hub.ts";
export {
  addressKey,
  createRateLimiter,
  RateLimitError,
  type RateLimiter,
  type RateLimiterOptions,
} from "./rate-limit.ts";
export { type AppRouter, appRouter } from "./root.ts";
export { type Me, MeSchema } from "./router/me.ts";
export {
  type Access,
  AccessSchema,
  DestroyInputSchema,
  type FollowInput,
  FollowInputSchema,
  InstanceIdSchema,
  type PrepareInput,
  PrepareInputSchema,
  type PrepareOutput,
  PrepareOutputSchema,
  type Snapshot,
  SnapshotSchema,
  type TemplateList,
  TemplateListSchema,
  type TicketPayload,
  TicketPayloadSchema,
} from "./schemas.ts";
export { generateInstanceId, generateSecret } from "./secrets.ts";
export {
  type ConnectionState,
  SubscriptionLimitError,
} from "./subscription-limit.ts";
export { TICKET_PURPOSE } from "./ticket.ts";
export { createCallerFactory, type LauncherContext } from "./trpc.ts";
