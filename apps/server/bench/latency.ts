/**
 * `pnpm bench:latency`: how much time and memory the launcher adds on top of what it starts,
 * each row beside its floor (the same work without the launcher), measured in one run on the
 * built server, as a Markdown table for the README.
 *
 *   - Scratchpad: `launch.prepare` → `ready` over tRPC (median of 7), beside Scratchpad alone
 *     (node start → `/health` answers);
 *   - server cold start (`node apps/server/dist/main.js` → listening) and idle RSS, beside a
 *     bare Node HTTP server;
 *   - the web app's rows, from `apps/web/bench/latency.ts` when it exists: that module exports
 *     `latencyRows(): Promise<LatencyRow[]>` (see latency-table.ts).
 *
 * Runs: BENCH_RUNS (7).
 */
import { existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { startServer } from "@launcher/testing";
import { formatTable, type LatencyRow } from "./latency-table.ts";
import { measureLaunches, measureScratchpadAlone } from "./measure-launch.ts";
import { measureStart } from "./measure-start.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const WEB_ROWS = resolve(import.meta.dirname, "../../web/bench/latency.ts");

async function launchRows(): Promise<LatencyRow[]> {
  const floor = await measureScratchpadAlone(RUNS);
  const server = await startServer();
  try {
    const samples = await measureLaunches(server, RUNS);
    return [
      {
        measure: "Scratchpad: `launch.prepare` → `ready` over tRPC",
        unit: "ms",
        samples,
        floor: { label: "Scratchpad alone, node start → `/health` answers", samples: floor },
        goal: "≤ 300 ms (≤ 2.5× the floor)",
      },
    ];
  } finally {
    await server.dispose();
  }
}

async function startRows(): Promise<LatencyRow[]> {
  const { server, bare } = await measureStart(RUNS);
  return [
    {
      measure: "server cold start, `node apps/server/dist/main.js` → listening",
      unit: "ms",
      samples: server.map((s) => s.startMs),
      floor: { label: "a bare Node HTTP server", samples: bare.map((s) => s.startMs) },
      goal: "≤ 300 ms",
    },
    {
      measure: "server idle RSS",
      unit: "MiB",
      samples: server.map((s) => s.idleRssMiB),
      floor: { label: "a bare Node HTTP server", samples: bare.map((s) => s.idleRssMiB) },
      goal: "≤ 60 MiB",
    },
  ];
}

/** The web app's rows (reload → progress, server back → summary), when its module exists. */
async function webRows(): Promise<LatencyRow[]> {
  if (!existsSync(WEB_ROWS)) {
    console.error("(no apps/web/bench/latency.ts: web rows skipped)");
    return [];
  }
  const web = (await import(pathToFileURL(WEB_ROWS).href)) as {
    latencyRows(): Promise<LatencyRow[]>;
  };
  return web.latencyRows();
}

const rows = [...(await launchRows()), ...(await startRows()), ...(await webRows())];
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? "CPU"}, Node ${process.version}`;
console.log(
  `\n${new Date().toISOString().slice(0, 10)}, ${machine}, load ${loadavg()[0]!.toFixed(1)}\n`,
);
console.log(formatTable(rows));
process.exit(0);
