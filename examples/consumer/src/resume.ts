// Another app launching Scratchpad through the launcher and following it to the end, with its
// ticket in a file so that it survives this process:
//
//   npm run build && node dist/resume.js http://127.0.0.1:3000
//
// Run it again after a Ctrl-C: it picks the launch up again from its ticket file.
import { homedir } from "node:os";
import { join } from "node:path";
import {
  createLauncherClient,
  followLaunch,
  LauncherError,
  prepareLaunch,
  type Snapshot,
} from "@launcher/client";
import { fileStore } from "@launcher/client/node";
import WebSocket from "ws";

const url = process.argv[2] ?? "http://127.0.0.1:3000";
const store = fileStore(join(homedir(), ".local", "state", "launcher-example"));
const client = createLauncherClient({ url, WebSocket });
const controller = new AbortController();
process.once("SIGINT", () => controller.abort());

function show(snapshot: Snapshot): void {
  const running = snapshot.steps.find((step) => step.state === "running");
  console.log(`${snapshot.phase}${running ? ` — ${running.label}` : ""}`);
}

try {
  // Resume an unfinished launch of ours, or start a new one (its ticket is stored first).
  const pending = (await store.list()).find((launch) => launch.snapshot?.phase !== "ready");
  const launch = pending ?? (await prepareLaunch(client, { template: "scratchpad", store }));
  const last = await followLaunch(client, {
    launch,
    store,
    signal: controller.signal,
    onSnapshot: show,
  }).done();

  if (last?.phase === "ready" && last.access) {
    console.log(`Open ${last.access.url} with password ${last.access.credentials.password}`);
  } else if (last) {
    console.error(`The launch ended ${last.phase}: ${last.error ?? ""}`);
    process.exitCode = 1;
  }
  // Ended and shown: this app keeps no copy of the ticket (the next run starts a new launch).
  if (last) await store.remove(launch.id);
} catch (error) {
  if (error instanceof LauncherError && error.code === "ticket_refused") {
    console.error(`The stored ticket was refused (${error.tokenCode}); start a new launch.`);
  } else if (error instanceof LauncherError) {
    console.error(`${error.code}: ${error.message}`);
  } else {
    throw error;
  }
  process.exitCode = 1;
} finally {
  await client.close();
}
