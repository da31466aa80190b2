import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium: tests never download a browser. */
export const CHROMIUM = "/usr/bin/chromium";

/** Flags for a headless Chromium on a machine with a closed network, run as root. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Starts Debian's Chromium through playwright-core.
 * @example
 * const browser = await launchChromium();
 * try { const page = await browser.newPage(); … } finally { await browser.close(); }
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
}
