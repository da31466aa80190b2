// @vitest-environment node
// The web app in a real Chromium (Debian's package, never a downloaded browser) against the
// real built server on a free port. Run `pnpm build` first.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import {
  CHROMIUM,
  launchChromium,
  SERVER_MAIN,
  startServer,
  type TestServer,
} from "@launcher/testing";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const WEB_DIST = resolve(import.meta.dirname, "../dist/index.html");
// Screenshots go to test-results/ on every run; `LAUNCHER_SCREENSHOTS=docs` (the root
// `screenshots` script) refreshes the ones the README shows, in docs/.
const DOCS = resolve(
  import.meta.dirname,
  process.env.LAUNCHER_SCREENSHOTS === "docs"
    ? "../../../docs"
    : "../../../test-results/screenshots",
);
const SLOW = "Scratchpad (slow start, fixture)";

/**
 * Runs in the page before its scripts: records every state of sessionStorage and of the DOM
 * outside the summary, whether the form ever showed without the launches (a flash), and the
 * frame in which a progress bar was first on screen (`__progressFrame`, ms since navigation).
 */
function recordPage() {
  const w = window as unknown as {
    __seen: Set<string>;
    __formOnly: boolean;
    __progress: boolean;
    __progressFrame?: number;
  };
  w.__seen = new Set();
  w.__formOnly = false;
  w.__progress = false;
  const record = () => {
    const root = document.documentElement;
    if (!root) return;
    const clone = root.cloneNode(true) as HTMLElement;
    for (const summary of clone.querySelectorAll(".summary")) summary.remove();
    w.__seen.add(clone.outerHTML);
    for (let i = 0; i < sessionStorage.length; i++) {
      const key = sessionStorage.key(i)!;
      w.__seen.add(`${key}=${sessionStorage.getItem(key)}`);
    }
    if (!w.__progress && document.querySelector("[role=progressbar]")) {
      w.__progress = true;
      requestAnimationFrame(() => (w.__progressFrame = performance.now()));
    }
    if (
      sessionStorage.length > 0 &&
      document.querySelector("#new-launch") &&
      !document.querySelector("article.card")
    ) {
      w.__formOnly = true;
    }
  };
  new MutationObserver(record).observe(document, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
  });
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (key: string, value: string) {
    setItem.call(this, key, value);
    record();
  };
}

const everSeen = (page: Page, text: string) =>
  page.evaluate(
    (t) => [...(window as unknown as { __seen: Set<string> }).__seen].some((s) => s.includes(t)),
    text,
  );
const formOnlyFlash = (page: Page) =>
  page.evaluate(() => (window as unknown as { __formOnly: boolean }).__formOnly);
const sawProgress = (page: Page) =>
  page.evaluate(() => (window as unknown as { __progress: boolean }).__progress);
/** When the first frame with a progress bar and the first API request began (ms). */
const progressThenRequest = (page: Page) =>
  page.evaluate(() => ({
    frame: (window as unknown as { __progressFrame?: number }).__progressFrame,
    request: performance.getEntriesByType("resource").find((e) => e.name.includes("/trpc/"))
      ?.startTime,
  }));
const storedLaunches = (page: Page) =>
  page.evaluate(() =>
    Object.keys(sessionStorage)
      .filter((k) => k.startsWith("launcher:"))
      .map(
        (k) => JSON.parse(sessionStorage.getItem(k)!) as { launch: { id: string; ticket: string } },
      ),
  );

async function basicAuth(url: string, password: string): Promise<number> {
  const auth = Buffer.from(`anyone:${password}`).toString("base64");
  const response = await fetch(url, { headers: { authorization: `Basic ${auth}` } });
  await response.body?.cancel();
  return response.status;
}

/** Reads the password the summary shows, by pressing Reveal. */
async function revealPassword(page: Page): Promise<string> {
  await page.getByRole("button", { name: "Reveal password" }).click();
  const password = (await page.locator("[data-credential=password]").textContent())!.trim();
  expect(password).toMatch(/^[A-Za-z0-9_-]{16,}$/);
  return password;
}

/** The summary's URL answers to the password the summary reveals. */
async function expectLogsIn(page: Page) {
  const url = (await page.getByRole("link", { name: /^http:/ }).getAttribute("href"))!;
  expect(await basicAuth(url, await revealPassword(page))).toBe(200);
}

async function waitForReady(page: Page) {
  await page.getByText("Ready", { exact: true }).waitFor({ timeout: 45_000 });
  await page.getByRole("link", { name: /^http:\/\/127\.0\.0\.1:\d+\/$/ }).waitFor();
}

/** Waits until a step of the launch runs: mid-launch (the slow fixture holds it ~3 s). */
async function waitForRunningStep(page: Page) {
  await page.locator('li.step[data-state="running"]').waitFor({ timeout: 30_000 });
}

const ci = Boolean(process.env.CI);
const runnable = existsSync(CHROMIUM);

// Locally without Chromium this suite is skipped; in CI it never is (it fails instead).
describe.skipIf(!runnable && !ci)("the web app in Chromium", { timeout: 120_000 }, () => {
  let browser: Browser;
  let server: TestServer;
  let context: BrowserContext;

  beforeAll(async () => {
    for (const built of [WEB_DIST, SERVER_MAIN]) {
      if (!existsSync(built)) throw new Error(`${built} is missing: run \`pnpm build\` first`);
    }
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Starts a server (with the slow fixture template when `slow`) and opens the page. */
  async function open(options: { slow?: boolean } = {}): Promise<Page> {
    server = await startServer({ env: options.slow ? { LAUNCHER_FIXTURES: "1" } : {} });
    context = await browser.newContext({
      viewport: { width: 560, height: 760 },
      deviceScaleFactor: 1,
    });
    await context.addInitScript(recordPage);
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByRole("button", { name: "Launch" }).waitFor();
    return page;
  }

  /** Saves a screenshot for the README: the header and the first panel, to stay small. */
  async function shoot(page: Page, name: string) {
    const panel = await page.locator(".panel").first().boundingBox();
    const height = Math.ceil((panel?.y ?? 0) + (panel?.height ?? 600) + 16);
    await page.screenshot({
      path: `${DOCS}/screenshot-${name}.png`,
      clip: { x: 0, y: 0, width: 560, height },
    });
  }

  async function close() {
    await context?.close();
    await server?.dispose();
  }

  async function launch(page: Page, template?: string) {
    if (template) await page.getByRole("radio", { name: template }).check();
    await page.getByRole("button", { name: "Launch" }).click();
  }

  /** Launches the slow fixture once the socket is up and waits until a step runs; the badge. */
  async function launchMidway(page: Page) {
    const badge = page.locator(".badge");
    await badge.getByText("Connected").waitFor();
    await launch(page, SLOW);
    await waitForRunningStep(page);
    return badge;
  }

  /** After an outage: the badge says Connected again and the launch goes on to its summary. */
  async function backToReady(page: Page, badge: Locator) {
    await badge.getByText("Connected").waitFor({ timeout: 15_000 });
    await waitForReady(page);
  }

  it("launches Scratchpad by keyboard alone and logs in with the shown password", async () => {
    const page = await open();
    try {
      await expect(
        page.getByRole("radio", { name: /^Scratchpad A small/ }).isChecked(),
      ).resolves.toBe(true);
      await shoot(page, "form");
      // Keyboard only: Tab to Launch, press Enter.
      let focused: string | null | undefined;
      for (let i = 0; i < 20 && focused !== "Launch"; i++) {
        await page.keyboard.press("Tab");
        focused = await page.evaluate(() => document.activeElement?.textContent);
      }
      expect(focused).toBe("Launch"); // Enter on a radio would submit too: reach the button
      await page.keyboard.press("Enter");
      await waitForReady(page);
      // The keyboard launch moved the focus to the card's heading, as it should; the
      // picture is cleaner without the ring.
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await shoot(page, "summary");

      const url = (await page.getByRole("link", { name: /^http:/ }).getAttribute("href"))!;
      expect(url).toMatch(/\/$/);
      await page.getByRole("button", { name: "Reveal password" }).focus();
      await page.keyboard.press("Enter");
      const password = (await page.locator("[data-credential=password]").textContent())!.trim();
      expect(await basicAuth(url, password)).toBe(200);
      expect(await basicAuth(url, `${password}x`)).toBe(401);
      expect(await page.getByText(/launched in \d/).count()).toBe(1);

      // Dark mode follows the system's preference.
      const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const light = await background();
      await page.emulateMedia({ colorScheme: "dark" });
      expect(await background()).not.toBe(light);
      expect(await background()).toBe("rgb(15, 18, 22)");

      // At 360 px the summary fits without sideways scrolling.
      await page.setViewportSize({ width: 360, height: 760 });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        360,
      );
    } finally {
      await close();
    }
  });

  it("continues the same launch after a reload mid-launch, painted before any request, without a flash of the empty form", async () => {
    const page = await open({ slow: true });
    try {
      await launchMidway(page);
      await page.getByText(/^Elapsed [1-9]/).waitFor();
      await shoot(page, "progress");
      const before = await storedLaunches(page);
      expect(before).toHaveLength(1);

      await page.reload();
      await waitForReady(page);
      // The reloaded page showed the progress (from what it stored) before the summary, in a
      // frame before its first request went out.
      expect(await sawProgress(page)).toBe(true);
      const { frame, request } = await progressThenRequest(page);
      expect(request).toBeGreaterThanOrEqual(frame!);
      expect(await formOnlyFlash(page)).toBe(false);
      const after = await storedLaunches(page);
      expect(after.map((s) => s.launch.id)).toEqual(before.map((s) => s.launch.id));
      expect(await page.locator("article.card").count()).toBe(1);
      await expectLogsIn(page);
    } finally {
      await close();
    }
  });

  it("reconnects by itself when the server is killed and restarted mid-launch", async () => {
    const page = await open({ slow: true });
    try {
      const badge = await launchMidway(page);
      await server.kill("SIGKILL");
      await badge.getByText("Reconnecting…").waitFor({ timeout: 10_000 });
      await server.restart();
      await backToReady(page, badge);
      await expectLogsIn(page);
    } finally {
      await close();
    }
  });

  it("notices a hung server within seconds, not the 30 s of a closing handshake", async () => {
    const page = await open({ slow: true });
    const pid = server.pid!;
    try {
      const badge = await launchMidway(page);
      // Stopped, the server keeps its sockets open but answers nothing: only the
      // keep-alive watchdog (ping every 4 s, pong within 2 s) can tell.
      process.kill(pid, "SIGSTOP");
      const stoppedAt = Date.now();
      await badge.getByText("Reconnecting…").waitFor({ timeout: 15_000 });
      expect(Date.now() - stoppedAt).toBeLessThan(10_000);
      process.kill(pid, "SIGCONT");
      await backToReady(page, badge);
    } finally {
      process.kill(pid, "SIGCONT");
      await close();
    }
  });

  it("keeps no ticket after Dismiss and never shows the password outside the summary", async () => {
    const page = await open();
    try {
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
      await launch(page);
      await waitForReady(page);
      expect(await storedLaunches(page)).toHaveLength(1);
      await page.getByRole("button", { name: "Copy password" }).click();
      await page.getByText("Copied").waitFor();
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      const password = await revealPassword(page);
      expect(copied).toBe(password);
      // Reload: the summary comes back, with the password only from the server.
      await page.reload();
      await waitForReady(page);
      expect(await revealPassword(page)).toBe(password);

      await page.getByRole("button", { name: "Dismiss" }).click();
      await page.getByText("Ready", { exact: true }).waitFor({ state: "detached" });
      expect(await storedLaunches(page)).toEqual([]);
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      expect(await everSeen(page, password)).toBe(false);
      expect(await page.content()).not.toContain(password);
    } finally {
      await close();
    }
  });

  it("keeps a ticket the server refuses as altered, and drops one that is damaged", async () => {
    const page = await open();
    const rewriteTicket = (change: "tamper" | "damage") =>
      page.evaluate((how) => {
        const key = Object.keys(sessionStorage).find((k) => k.startsWith("launcher:"))!;
        const entry = JSON.parse(sessionStorage.getItem(key)!);
        const t: string = entry.launch.ticket;
        const i = Math.floor(t.length / 2);
        entry.launch.ticket =
          how === "tamper" ? t.slice(0, i) + (t[i] === "A" ? "B" : "A") + t.slice(i + 1) : `${t}=`;
        sessionStorage.setItem(key, JSON.stringify(entry));
      }, change);
    try {
      await launch(page);
      await waitForReady(page);
      await rewriteTicket("tamper");
      await page.reload();
      const alert = page.getByRole("alert");
      await alert.waitFor({ timeout: 10_000 });
      // `invalid` is what a replica with another keyring says too: the ticket may still open.
      expect(await alert.textContent()).toMatch(
        /refused this launch's ticket: .*not valid here.* kept/,
      );
      expect(await page.getByRole("progressbar").count()).toBe(0);
      expect(await storedLaunches(page)).toHaveLength(1);
      await page.getByRole("button", { name: "Try again" }).waitFor();

      await rewriteTicket("damage");
      await page.reload();
      await alert.getByText(/ticket: it is damaged\. It has been removed/).waitFor({
        timeout: 10_000,
      });
      expect(await storedLaunches(page)).toEqual([]);
    } finally {
      await close();
    }
  });
});
