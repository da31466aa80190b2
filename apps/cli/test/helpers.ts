import { instanceMonitorPids } from "@launcher/testing";

export { type CliRun, runCli, spawnCli } from "@launcher/testing";

/** The local driver's monitor processes for instances of `stateDir` (one per instance). */
export async function instanceMonitors(stateDir: string): Promise<number> {
  return (await instanceMonitorPids(stateDir)).length;
}

/** Logs in to a Scratchpad with HTTP Basic auth. */
export async function basicLogin(url: string, password: string): Promise<number> {
  const auth = Buffer.from(`user:${password}`).toString("base64");
  const response = await fetch(url, { headers: { authorization: `Basic ${auth}` } });
  await response.arrayBuffer();
  return response.status;
}
