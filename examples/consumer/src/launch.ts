// An app outside the launcher's repository: launches a template, follows it to ready, logs in
// to the instance with the credentials it was given, then destroys it.
//
//   npm install && npm run build
//   node dist/launch.js http://127.0.0.1:3000 [scratchpad]
//
// Prints progress on stderr and one JSON line on stdout: { id, url, login, destroyed }.
// Exit 0 when the instance was ready, answered its password and was destroyed.
import {
  createLauncherClient,
  followLaunch,
  LauncherError,
  memoryStore,
  prepareLaunch,
  type Snapshot,
} from "@launcher/client";
import WebSocket from "ws";

const [serverUrl, template = "scratchpad"] = process.argv.slice(2);
if (!serverUrl) {
  console.error("usage: node dist/launch.js SERVER_URL [TEMPLATE]");
  process.exit(2);
}

const client = createLauncherClient({ url: serverUrl, WebSocket });
// This app keeps its ticket in memory only: a crash loses the launch (use fileStore to resume).
const store = memoryStore();

function show(snapshot: Snapshot): void {
  const running = snapshot.steps.find((step) => step.state === "running");
  console.error(`${snapshot.phase}${running ? ` — ${running.label}` : ""}`);
}

/** Answers the instance's HTTP Basic auth with the launch's password (any user name). */
async function logIn(url: string, password: string): Promise<number> {
  const authorization = `Basic ${Buffer.from(`user:${password}`).toString("base64")}`;
  const response = await fetch(url, { headers: { authorization }, redirect: "manual" });
  await response.arrayBuffer();
  return response.status;
}

try {
  // The router's types come with the package: a template id is a string, the answer typed.
  const { templates } = await client.templates.list.query();
  if (!templates.some((t) => t.id === template)) throw new Error(`no template "${template}"`);

  const launch = await prepareLaunch(client, { template, store });
  const last = await followLaunch(client, { launch, store, onSnapshot: show }).done();
  if (last?.phase !== "ready" || !last.access) {
    throw new Error(`the launch ended ${last?.phase ?? "without a result"}: ${last?.error ?? ""}`);
  }
  const password = last.access.credentials.password ?? "";
  const login = await logIn(last.access.url, password);

  const destroyed = await client.launch.destroy.mutate({ ticket: launch.ticket });
  await store.remove(launch.id);
  console.log(
    JSON.stringify({ id: launch.id, url: last.access.url, login, destroyed: destroyed.phase }),
  );
  process.exitCode = login === 200 && destroyed.phase === "destroyed" ? 0 : 1;
} catch (error) {
  console.error(error instanceof LauncherError ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
} finally {
  await client.close();
}
