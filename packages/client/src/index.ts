export {
  createLauncherClient,
  type LauncherClient,
  type LauncherClientOptions,
  type WebSocketConstructor,
} from "./create-client.ts";
export {
  LauncherError,
  type LauncherErrorCode,
  type TicketRefusal,
  toLauncherError,
} from "./errors.ts";
export {
  type FollowLaunchOptions,
  followLaunch,
  isTerminalPhase,
  type LaunchFollow,
  type LaunchRef,
  type Phase,
  type PrepareLaunchOptions,
  prepareLaunch,
  type Snapshot,
} from "./follow-launch.ts";
export { memoryStore } from "./memory-store.ts";
export { launchProgress } from "./progress.ts";
export { sessionStorageStore } from "./session-storage-store.ts";
export {
  type StoredLaunch,
  type StoredSnapshot,
  type TicketStore,
  toStoredSnapshot,
} from "./ticket-store.ts";
