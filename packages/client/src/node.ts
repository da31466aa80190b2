// Node-only parts of the client (they import node: modules).
export { fileStore } from "./file-store.ts";
