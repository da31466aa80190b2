export { CHROMIUM, CHROMIUM_ARGS, launchChromium } from "./chromium.ts";
export { CLI_MAIN, type CliRun, runCli, spawnCli } from "./cli.ts";
export { forwardHttp } from "./forward-http.ts";
export { type CommandResult, npmEnv, packLauncher, REPO_ROOT, runCommand } from "./packed.ts";
export { type PackedTry, startPackedTry } from "./packed-try.ts";
export { instanceMonitorPids, waitFor } from "./processes.ts";
export { readTree } from "./read-tree.ts";
export { seededRandom } from "./seeded-random.ts";
export { type SlowRegistry, startSlowRegistry } from "./slow-registry.ts";
export {
  killInstances,
  makeTestKeys,
  SERVER_MAIN,
  type StartServerOptions,
  startServer,
  type TestServer,
} from "./start-server.ts";
