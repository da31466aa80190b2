export {
  type Access,
  isInstanceId,
  isTerminal,
  isTerminal as isTerminalPhase,
  PHASES,
  type Phase,
  type Snapshot,
  type Step,
} from "@launcher/contract";
export type {
  Connection,
  ConnectionListener,
  ConnectionState,
  SubscriptionHandlers,
} from "./connection.ts";
export {
  createLauncherClient,
  type LaunchClient,
  type LauncherClient,
  type LauncherClientOptions,
  normalizeServerUrl,
  type WebSocketConstructor,
} from "./create-client.ts";
export {
  LauncherError,
  type LauncherErrorCode,
  type QuotaInfo,
  refusalReason,
  type TicketRefusal,
  ticketIsGone,
  toLauncherError,
} from "./errors.ts";
export {
  checkLaunchServer,
  type FollowLaunchOptions,
  followLaunch,
  type LaunchFollow,
} from "./follow-launch.ts";
export type { LaunchRef } from "./launch-ref.ts";
export { memoryStore } from "./memory-store.ts";
export {
  type DestroyedLaunch,
  type DestroyLaunchOptions,
  destroyLaunch,
  type PrepareLaunchOptions,
  prepareLaunch,
} from "./prepare-launch.ts";
export { launchProgress } from "./progress.ts";
export type {
  CallOptions,
  RouterClient,
  SubscriptionEvent,
  Unsubscribable,
} from "./router-client.ts";
export { sessionStorageStore } from "./session-storage-store.ts";
export {
  type StoredLaunch,
  type StoredSnapshot,
  type TicketStore,
  toStoredSnapshot,
} from "./ticket-store.ts";
