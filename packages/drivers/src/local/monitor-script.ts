/**
 * The monitor: a tiny Node program the local driver starts, detached in its own
 * session, for each instance. It records its own pid first, starts the app with the
 * environment it was given (the secrets live only there), records the app's pid and,
 * when the app ends, its exit status — so any launcher process, even one started
 * later, can tell what became of the instance. It forwards TERM to the app.
 *
 * It is plain JavaScript so that it runs from the state directory without a build.
 * Its command line holds the marker `launcher-monitor` and the instance folder, by
 * which a launcher that crashed mid-start is recognised.
 */
export const MONITOR_SCRIPT = `// launcher-monitor: written by the launcher's local driver; see monitor-script.ts.
import { spawn } from "node:child_process";
import { existsSync, openSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
const write = (name, value) => {
  const tmp = join(dir, "." + name + "." + process.pid);
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, join(dir, name));
};
const startTime = () => {
  const stat = readFileSync("/proc/" + process.pid + "/stat", "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
};

write("monitor.json", { pid: process.pid, startTime: startTime(), at: Date.now() });
const launch = JSON.parse(readFileSync(join(dir, "launch.json"), "utf8"));
let child;
let stopping = false;
const stop = (signal) => {
  stopping = true;
  if (child) child.kill(signal);
  else process.exit(0);
};
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGTERM"));
process.on("SIGHUP", () => {});

setTimeout(() => {
  if (stopping) return;
  // Destroyed before the app started (a destroy that gave up waiting for this monitor):
  // the tombstone was written before this check, or the destroy saw monitor.json and stops us.
  if (existsSync(join(dir, "destroyed.json"))) process.exit(0);
  const log = openSync(join(dir, "log"), "a");
  child = spawn(launch.command[0], launch.command.slice(1), {
    cwd: launch.cwd,
    env: { ...process.env, ...launch.env },
    stdio: ["ignore", log, log],
  });
  child.on("spawn", () => write("app.json", { pid: child.pid, at: Date.now() }));
  child.on("error", (error) => {
    write("exit.json", { error: String(error.code || "spawn failed"), at: Date.now() });
    process.exit(0);
  });
  child.on("exit", (code, signal) => {
    write("exit.json", { code, signal, at: Date.now() });
    process.exit(0);
  });
}, launch.startDelayMs || 0);
`;
