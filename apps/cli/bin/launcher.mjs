#!/usr/bin/env node
// The `launcher` command. A committed file, so that installing links it before anything is
// built; it runs the built CLI, whose stdout and exit code are its own.
import { existsSync } from "node:fs";

const main = new URL("../dist/main.js", import.meta.url);
if (!existsSync(main)) {
  console.error("launcher: the CLI is not built yet; run the build first (pnpm build)");
  process.exit(2);
}
await import(main.href);
