// The web app's rows of `pnpm bench:latency` (apps/server/bench/latency.ts imports this
// module and calls `latencyRows()`), measured in Debian's Chromium against the real built
// server, each beside its floor measured the same way in the same run:
//
//   const rows = await latencyRows(); // BENCH_RUNS runs each (7)
//   // [{ measure, unit: "ms", samples: number[], floor: { label, samples }, goal }, …]
//
// - "web: reload → progress visible again": from the start of a reload of a page whose launch
//   is in progress to its progress bar on screen (the next animation frame after it is in the
//   DOM); floor: a minimal page, static HTML with a progress bar, reloaded the same way.
// - "web: server listening again → page back at its summary": the page is loaded through a
//   front proxy (./front-proxy.ts, a load balancer's stand-in that serves the built app
//   itself); the server is killed and the page opened again, so that it shows a ready launch
//   from storage and waits; the server restarts; from its own "listening" log time to the
//   summary's URL link on the page (the credentials came back from the server); floor: a
//   minimal client in the same browser, through the same proxy: a WebSocket retried every
//   10 ms that subscribes with the ticket and its last event id.
//
// Alone: `pnpm --filter @launcher/web bench:latency [WEB_DIR]` after `pnpm build` (WEB_DIR:
// another build of the app). With two or more WEB_DIRs (say main's build and this one's) it
// measures only "reload → progress visible", for each build and the floor in turn, run after
// run: a before/after side by side in one run.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, startServer, type TestServer } from "@launcher/testing";
import type { Page } from "playwright-core";
import { startFrontProxy } from "./front-proxy.ts";
import { MINIMAL_PAGE, minimalClientPage, RECORD_MILESTONES } from "./pages.ts";

/** A row as `pnpm bench:latency` prints it (apps/server/bench/latency-table.ts). */
export interface LatencyRow {
  measure: string;
  unit: "ms";
  /** One value per run. */
  samples: number[];
  /** The same work without the launcher's app, one value per run, between the runs above. */
  floor: { label: string; samples: number[] };
  goal: string;
}

const DIST = resolve(import.meta.dirname, "../dist");
const SLOW = "Scratchpad (slow start, fixture)";

type Milestone = "__progressAt" | "__summaryAt" | "__reconnecting";

async function milestone(page: Page, name: Milestone, timeout = 30_000): Promise<number> {
  // Polled on a timer (a page in the background gets no animation frames); the values are
  // times the page recorded, so polling adds nothing to them. Functions, not strings: the
  // server's CSP forbids eval.
  await page.waitForFunction(
    (key) => {
      const value = (window as unknown as Record<string, number | undefined>)[key];
      return value !== undefined && value !== -1;
    },
    name,
    { timeout, polling: 20 },
  );
  return page.evaluate((key) => (window as unknown as Record<string, number>)[key]!, name);
}

/** The time (epoch ms) of the server's latest "listening" log line. */
function listenedAt(server: TestServer, fallback: number): number {
  const lines = server
    .output()
    .split("\n")
    .filter((line) => line.includes('"listening"'));
  try {
    const time = JSON.parse(lines.at(-1) ?? "{}").time;
    return typeof time === "number" ? time : fallback;
  } catch {
    return fallback;
  }
}

async function staticServer(html: string) {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" });
    res.end(html);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

async function storedEntry(page: Page): Promise<[string, string]> {
  return page.evaluate(() => {
    const key = Object.keys(sessionStorage).find((k) => k.startsWith("launcher:"))!;
    return [key, sessionStorage.getItem(key)!] as [string, string];
  });
}

async function reloadToProgress(page: Page, url: string, entry?: [string, string]) {
  // The page to reload has settled, as one a user looks at before reloading it.
  if (page.url() !== url) await page.goto(url, { waitUntil: "networkidle" });
  if (entry) {
    // Put back at the reloaded document's start (see RECORD_MILESTONES).
    await page.evaluate((json) => {
      window.name = `restore:${json}`;
    }, JSON.stringify(entry));
  }
  await page.reload({ waitUntil: "commit" });
  return milestone(page, "__progressAt");
}

/** Launches the slow fixture on `server` and returns its stored entry while it is in progress. */
async function entryInProgress(page: Page, server: TestServer) {
  await page.goto(server.url);
  await page.getByRole("radio", { name: SLOW }).check();
  await page.getByRole("button", { name: "Launch" }).click();
  await page.locator('li.step[data-state="running"]').waitFor({ timeout: 30_000 });
  return storedEntry(page); // a launch in progress, as a reload finds it
}

/**
 * Reload → progress visible, for the app on each server and for a minimal page, run after
 * run, in one tab (a tab in the background gets no animation frames).
 */
async function reloadRows(page: Page, servers: TestServer[], runs: number) {
  const entries = [];
  for (const server of servers) entries.push(await entryInProgress(page, server));
  const minimal = await staticServer(MINIMAL_PAGE);
  const measured: number[][] = servers.map(() => []);
  const floor: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      for (const [i, server] of servers.entries()) {
        measured[i]!.push(await reloadToProgress(page, `${server.url}/`, entries[i]));
      }
      floor.push(await reloadToProgress(page, minimal.url));
    }
  } finally {
    await minimal.close();
  }
  return { measured, floor };
}

/**
 * Server listening again → summary, for the app and for a minimal client, run after run. Both
 * are loaded through a front proxy that serves the page while the server is down.
 */
async function restartRows(page: Page, server: TestServer, runs: number, dist: string) {
  const pages = new Map<string, string>();
  const front = await startFrontProxy({ target: server.url, dist, pages });
  try {
    await page.goto(front.url);
    await page.getByRole("radio", { name: /^Scratchpad A small/ }).check();
    await page.getByRole("button", { name: "Launch" }).click();
    await page.locator(".summary a[href]").waitFor({ timeout: 45_000 });
    const [, raw] = await storedEntry(page);
    const { launch } = JSON.parse(raw) as { launch: { ticket: string; lastEventId: string } };
    pages.set("/minimal-client", minimalClientPage(launch));
    const measured: number[] = [];
    const floor: number[] = [];
    const cycle = async (path: string) => {
      await server.kill("SIGKILL");
      await page.goto(`${front.url}${path}`, { waitUntil: "commit" });
      await milestone(page, "__reconnecting"); // it knows the server is away, and waits
      await server.restart();
      const summaryAt = await milestone(page, "__summaryAt");
      return summaryAt - listenedAt(server, Date.now());
    };
    for (let run = 0; run < runs; run++) {
      measured.push(await cycle("/"));
      floor.push(await cycle("/minimal-client"));
    }
    return { measured, floor };
  } finally {
    await front.close();
  }
}

/**
 * Measures the web app's latency rows in real Chromium (Debian's, `/usr/bin/chromium`)
 * against the real built server (run `pnpm build` first), each beside its floor.
 *
 * @example
 * for (const row of await webLatencyRows({ runs: 7 })) console.log(row.measure, row.samples);
 */
export async function webLatencyRows(
  options: {
    /** Runs per row (default 7). */
    runs?: number;
    /** Another build of the web app to measure (default: this one's dist/). */
    webDir?: string;
  } = {},
): Promise<LatencyRow[]> {
  const runs = options.runs ?? 7;
  const dist = options.webDir ?? DIST;
  const browser = await launchChromium();
  const server = await startServer({
    env: { LAUNCHER_FIXTURES: "1", LAUNCHER_WEB_DIR: dist },
  });
  try {
    const context = await browser.newContext();
    await context.addInitScript({ content: RECORD_MILESTONES });
    const page = await context.newPage();
    const reload = await reloadRows(page, [server], runs);
    const restart = await restartRows(page, server, runs, dist);
    return [
      {
        measure: "web: reload → progress visible again (Chromium)",
        unit: "ms",
        samples: reload.measured[0]!,
        floor: { label: "a minimal page", samples: reload.floor },
        goal: "≤ 100 ms",
      },
      {
        measure: "web: server listening again → page back at its summary",
        unit: "ms",
        samples: restart.measured,
        floor: { label: "a minimal client", samples: restart.floor },
        goal: "≤ 1 s",
      },
    ];
  } finally {
    await server.dispose();
    await browser.close();
  }
}

/** The rows with BENCH_RUNS runs each (7), for `pnpm bench:latency`. */
export function latencyRows(): Promise<LatencyRow[]> {
  return webLatencyRows({ runs: Number(process.env.BENCH_RUNS ?? 7) });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/**
 * "Reload → progress visible" for several builds of the app (one server each) and the
 * minimal page, interleaved run after run, so that a before/after shares one machine state.
 */
export async function compareReloads(webDirs: string[], runs = 7) {
  const browser = await launchChromium();
  const servers: TestServer[] = [];
  try {
    for (const dir of webDirs) {
      servers.push(await startServer({ env: { LAUNCHER_FIXTURES: "1", LAUNCHER_WEB_DIR: dir } }));
    }
    const context = await browser.newContext();
    await context.addInitScript({ content: RECORD_MILESTONES });
    return await reloadRows(await context.newPage(), servers, runs);
  } finally {
    await Promise.all(servers.map((server) => server.dispose()));
    await browser.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const show = (values: number[]) =>
    `${Math.round(median(values))} ms (${values.map(Math.round).join(", ")})`;
  const dirs = process.argv.slice(2);
  if (dirs.length > 1) {
    const runs = Number(process.env.BENCH_RUNS ?? 7);
    const { measured, floor } = await compareReloads(dirs, runs);
    console.log("web: reload → progress visible again (Chromium)");
    for (const [i, dir] of dirs.entries()) console.log(`  ${dir}: ${show(measured[i]!)}`);
    console.log(`  a minimal page: ${show(floor)}`);
  } else {
    for (const row of await webLatencyRows({ webDir: dirs[0] })) {
      console.log(
        `${row.measure}: ${show(row.samples)}; ${row.floor.label}: ${show(row.floor.samples)}`,
      );
    }
  }
}
