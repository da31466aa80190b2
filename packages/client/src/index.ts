export { memoryStore } from "./memory-store.ts";
export { sessionStorageStore } from "./session-storage-store.ts";
export {
  type StoredLaunch,
  type StoredSnapshot,
  type TicketStore,
  toStoredSnapshot,
} from "./ticket-store.ts";
