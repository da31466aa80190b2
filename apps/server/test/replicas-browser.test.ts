// The web app in a real Chromium (Debian's package) through nginx in front of two replicas:
// the replica holding the page's WebSocket is killed mid-launch; the page carries on, on
// the other replica, without a reload. Run `pnpm build` first (it serves apps/web/dist).
import { existsSync } from "node:fs";
import { readdir, readFile, readlink } from "node:fs/promises";
import { CHROMIUM, launchChromium } from "@launcher/testing";
import { describe, expect, it } from "vitest";
import { waitFor } from "./harness.ts";
import { NGINX, startReplicas } from "./nginx.ts";
import { instanceStatusFromPage } from "./page-instance.ts";

const SLOW = "Scratchpad (slow start, fixture)";

/** How many established TCP connections process `pid` holds on its listening `port`. */
async function connectionsOn(pid: number, port: number): Promise<number> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    if (inode) inodes.add(inode);
  }
  let count = 0;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of (await readFile(table, "utf8").catch(() => "")).split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      const localPort = Number.parseInt(cols[1]?.split(":")[1] ?? "", 16);
      if (localPort === port && cols[3] === "01" && inodes.has(cols[9] ?? "")) count++;
    }
  }
  return count;
}

// Skipped locally without Chromium or nginx; in CI never (it fails instead).
describe.skipIf((!existsSync(CHROMIUM) || !NGINX) && !process.env.CI)(
  "the web app through nginx, in Chromium",
  () => {
    it("survives the failover of its replica mid-launch without a reload", async () => {
      const { a, b, lb } = await startReplicas();
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        let loads = 0;
        page.on("load", () => loads++);
        await page.goto(lb.url);
        await page.locator(".badge").getByText("Connected").waitFor({ timeout: 15_000 });
        await page.getByRole("radio", { name: SLOW }).check();
        await page.getByRole("button", { name: "Launch" }).click();
        await page.locator('li.step[data-state="running"]').waitFor({ timeout: 30_000 });

        // The replica nginx gave the page's WebSocket to (upstream connections are not kept
        // alive otherwise): kill that one.
        let holder: typeof a | undefined;
        await waitFor(async () => {
          for (const replica of [a, b]) {
            if ((await connectionsOn(replica.pid!, replica.port)) > 0) holder = replica;
          }
          return holder !== undefined;
        }, "the page's WebSocket on a replica");
        await holder!.kill("SIGKILL");

        await page.getByText("Ready", { exact: true }).waitFor({ timeout: 45_000 });
        await page.locator(".badge").getByText("Connected").waitFor({ timeout: 15_000 });
        expect(loads).toBe(1);
        expect(await instanceStatusFromPage(page)).toBe(200);
      } finally {
        await browser.close();
        await lb.stop();
        await b.kill();
        await a.dispose();
        await b.dispose();
      }
    }, 120_000);
  },
);
