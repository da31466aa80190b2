import { SETPRIV } from "./isolation.ts";
import { LOG_CUT_PREFIX } from "./record-files.ts";

/**
 * The monitor: a tiny Node program the local driver starts, detached in its own session, for
 * each instance; it outlives the launcher. It records its own pid first, starts the app with
 * the environment it was given (the secrets live only there), records the app's pid, probes
 * the app's port and health path and records `listening` and `ready` the moment they answer
 * (so followers need not poll) — isolated, only once the port's listener runs as the app's uid —
 * fails the launch when the health check does not pass in time,
 * writes the app's output to the log (cut to its tail past `logMaxBytes`, saying so), and when
 * the app ends records its exit status — so any launcher process, even one started later,
 * can tell what became of the instance. It forwards TERM to the app. For an isolated
 * instance it stays root (it writes the record) and starts the app as the instance's uid
 * through `setpriv`, with no_new_privs set: neither the app nor any process it starts can
 * gain privileges by running a setuid binary (say, a setuid copy of a shell that another
 * instance left in /tmp, which would let it act as that instance's uid).
 *
 * It is plain JavaScript so that it runs from the state directory without a build. Its
 * command line holds the marker `launcher-monitor` and the instance folder, by which a
 * launcher that crashed mid-start is recognised; its environment holds `LAUNCHER_INSTANCE`,
 * which every process of the instance inherits.
 */
export const MONITOR_SCRIPT = `// launcher-monitor: written by the launcher's local driver; see monitor-script.ts.
import { spawn } from "node:child_process";
import {
  closeSync, existsSync, fstatSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync,
} from "node:fs";
import { request } from "node:http";
import { join } from "node:path";

const dir = process.argv[2];
const temp = (name) => join(dir, "." + name + "." + process.pid + ".tmp");
const write = (name, value) => {
  writeFileSync(temp(name), JSON.stringify(value));
  renameSync(temp(name), join(dir, name));
};
// Exclusive: a marker another process added first (a failure) is kept.
const mark = (name, value) => {
  writeFileSync(temp(name), JSON.stringify({ at: Date.now(), ...value }));
  try {
    linkSync(temp(name), join(dir, name));
  } catch {}
  unlinkSync(temp(name));
};
const stat = (pid) => {
  try {
    const text = readFileSync("/proc/" + pid + "/stat", "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
};

write("monitor.json", { pid: process.pid, startTime: Number(stat(process.pid)[19]), at: Date.now() });
const launch = JSON.parse(readFileSync(join(dir, "launch.json"), "utf8"));
let child;
let stopping = false;
let exited = false;
const stop = (signal) => {
  stopping = true;
  if (child) child.kill(signal);
  else process.exit(0);
};
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGTERM"));
process.on("SIGHUP", () => {});

// The log: the app's output, cut to its last half when it passes logMaxBytes.
const logPath = join(dir, "log");
let log = openSync(logPath, "a");
let logSize = fstatSync(log).size;
let dropped = 0;
const cutLog = () => {
  const text = readFileSync(logPath);
  let from = Math.max(0, text.length - Math.floor(launch.logMaxBytes / 2));
  const newline = text.indexOf(10, from);
  if (newline >= 0 && newline < text.length - 1) from = newline + 1;
  dropped += from;
  const head = Buffer.from(${JSON.stringify(LOG_CUT_PREFIX)} + dropped + " earlier bytes were dropped]\\n");
  const kept = Buffer.concat([head, text.subarray(from)]);
  writeFileSync(logPath + ".cut", kept);
  renameSync(logPath + ".cut", logPath);
  closeSync(log);
  log = openSync(logPath, "a");
  logSize = kept.length;
};
const append = (chunk) => {
  writeSync(log, chunk);
  logSize += chunk.length;
  if (launch.logMaxBytes > 0 && logSize > launch.logMaxBytes) cutLog();
};

// Only our own app's answer counts: it must still run (not have lost its port to another).
const appAlive = () => {
  if (exited || !child) return false;
  const fields = stat(child.pid);
  return !!fields && fields[0] !== "Z" && fields[0] !== "X";
};
// Isolated: the listener on the port must be the app's own uid's. Another instance may have
// bound the port first (it can reach every port on loopback): its answers are not our app's,
// and the user would hand it their credentials. /proc/net/tcp* shows each socket's uid.
const LOOPBACK_LISTENS = ["0100007F", "00000000", "0".repeat(32), "0000000000000000FFFF00000100007F"];
const portIsOurs = () => {
  if (typeof launch.uid !== "number") return true;
  const port = launch.port.toString(16).toUpperCase().padStart(4, "0");
  let ours = false;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\\n").slice(1)) {
      const [, local, , state, , , , uid] = line.trim().split(/\\s+/);
      if (state !== "0A" || !local) continue; // 0A: LISTEN
      const [address, localPort] = local.split(":");
      if (localPort !== port) continue;
      // Any other uid on the port, on any address (the public host's), is not our app.
      if (Number(uid) !== launch.uid) return false;
      if (LOOPBACK_LISTENS.includes(address)) ours = true;
    }
  }
  return ours;
};
let listening = false;
let ready = false;
let probeStart = 0;
const probe = () => {
  if (ready || exited || stopping) return;
  let settled = false;
  const retry = () => {
    if (settled) return;
    settled = true;
    // Every 10 ms at first (an app that starts fast is seen at once), then every 50 ms.
    setTimeout(probe, Date.now() - probeStart < 2000 ? 10 : 50);
  };
  const req = request(launch.healthUrl, { agent: false, timeout: 2000 }, (res) => {
    res.resume();
    if (res.statusCode >= 200 && res.statusCode < 300 && appAlive() && portIsOurs()) {
      settled = true;
      ready = true;
      mark("ready.json", {});
    } else retry();
  });
  req.on("socket", (socket) =>
    socket.on("connect", () => {
      if (!listening && appAlive() && portIsOurs()) {
        listening = true;
        mark("listening.json", {});
      }
    }),
  );
  req.on("timeout", () => req.destroy());
  req.on("error", retry);
  req.end();
};

const finish = (value) => {
  if (exited) return;
  exited = true;
  write("exit.json", { ...value, at: Date.now() });
  process.exit(0);
};

setTimeout(() => {
  if (stopping) return;
  // Destroyed before the app started (a destroy that gave up waiting for this monitor):
  // the tombstone was written before this check, or the destroy finds this process and stops it.
  if (existsSync(join(dir, "destroyed.json"))) process.exit(0);
  // Isolated: the app runs as its own uid and gid, no supplementary group, no_new_privs
  // (Node's own uid/gid options would not set it); setpriv then runs the command in its place.
  const command =
    typeof launch.uid === "number"
      ? [${JSON.stringify(SETPRIV)}, "--no-new-privs", "--reuid=" + launch.uid, "--regid=" + launch.uid, "--clear-groups", "--", ...launch.command]
      : launch.command;
  child = spawn(command[0], command.slice(1), {
    cwd: launch.cwd,
    env: { ...process.env, ...launch.env, LAUNCHER_INSTANCE: process.env.LAUNCHER_INSTANCE },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let closed = 0;
  let exitStatus;
  const done = () => exitStatus && finish(exitStatus);
  for (const stream of [child.stdout, child.stderr]) {
    stream.on("data", append);
    stream.on("close", () => ++closed === 2 && done());
  }
  child.on("spawn", () => {
    write("app.json", { pid: child.pid, startTime: Number(stat(child.pid)?.[19] ?? 0), at: Date.now() });
    probeStart = Date.now();
    probe();
    setTimeout(() => {
      if (ready || exited) return;
      mark("failed.json", {
        reason: "The health check did not pass within " + launch.timeout + " s",
        step: listening ? "check" : "start",
      });
      stop("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 5000).unref();
    }, launch.timeout * 1000).unref();
  });
  child.on("error", (error) => finish({ error: String(error.code || "spawn failed") }));
  child.on("exit", (code, signal) => {
    // The output still in the pipes belongs in the log before the exit is told; a grandchild
    // that keeps the pipes open does not hold the exit back for long.
    exitStatus = { code, signal };
    if (closed === 2) done();
    else setTimeout(done, 200);
  });
}, launch.startDelayMs || 0);
`;
