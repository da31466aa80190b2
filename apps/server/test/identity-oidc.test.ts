// LAUNCHER_AUTH=oidc end to end: a real Chromium signs in at a real OpenID Provider (the
// `oidc-provider` package, its development login and consent pages), launches, reloads,
// lives through a server restart, and signs out. Run `pnpm build` first.
import { existsSync } from "node:fs";
import { parseKeyring } from "@launcher/crypto-token";
import { CHROMIUM, launchChromium, makeTestKeys } from "@launcher/testing";
import type { BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { sealSession } from "../src/auth/session.ts";
import { emailOf, startOidcLauncher } from "./oidc-provider.ts";
import { instanceStatusFromPage } from "./page-instance.ts";
import { call, upgrade, type WireError } from "./peer.ts";

const SLOW = "Scratchpad (slow start, fixture)";

/** Calls `me` from the page, with its cookies, as the web app would. */
async function meFrom(page: Page): Promise<{ data?: unknown; error?: WireError }> {
  const body = await page.evaluate(async () => (await fetch("/trpc/me")).json());
  const reply = body as { result?: { data: unknown }; error?: WireError };
  return { data: reply.result?.data, error: reply.error };
}

/**
 * Goes from `start` through the provider's development pages (any login and password, then
 * consent) until the launcher's `landing`.
 */
async function signIn(
  page: Page,
  launcherUrl: string,
  login: string,
  landing: string | RegExp = `${launcherUrl}/`,
  start = "/auth/login",
) {
  await page.goto(`${launcherUrl}${start}`);
  await page.locator("input[name=login]").fill(login);
  await page.locator("input[name=password]").fill("any password");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL(landing);
}

const sessionCookie = async (context: BrowserContext) =>
  (await context.cookies()).find((c) => c.name === "launcher_session");

// Locally without Chromium this suite is skipped; in CI it never is (it fails instead).
describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("OIDC sign-in in Chromium", () => {
  it("signs in, launches, reloads, survives a restart, and signs out", async () => {
    await using launcher = await startOidcLauncher({
      LAUNCHER_FIXTURES: "1",
      LAUNCHER_ADMINS: emailOf("root"),
    });
    const { url: launcherUrl, server } = launcher;
    const browser = await launchChromium();
    try {
      const context = await browser.newContext();
      // The provider's pages import a web font; this machine has no way out, and needs none.
      await context.route(/^https:\/\//, (route) => route.abort());
      const page = await context.newPage();

      // Signed out: the page loads, the API says to sign in and where.
      await page.goto(launcherUrl);
      const before = await meFrom(page);
      expect(before.error?.data).toMatchObject({
        code: "UNAUTHORIZED",
        authCode: "unauthenticated",
        authReason: "missing",
        signIn: "/auth/login",
      });

      await signIn(page, launcherUrl, "alice");
      const cookie = (await sessionCookie(context))!;
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", secure: false, path: "/" });
      // The PKCE verifier's cookie is gone once used.
      expect((await context.cookies()).map((c) => c.name)).not.toContain("launcher_oidc");
      expect((await meFrom(page)).data).toEqual({ user: emailOf("alice"), admin: false });

      // Launch, reload mid-launch, and restart the server mid-launch: the page carries on.
      await page.getByRole("radio", { name: SLOW }).check();
      await page.getByRole("button", { name: "Launch" }).click();
      await page.locator('li.step[data-state="running"]').waitFor({ timeout: 30_000 });
      await page.reload();
      await page.locator("article.card").waitFor();
      await server.kill("SIGKILL");
      await server.restart();
      await page.getByText("Ready", { exact: true }).waitFor({ timeout: 45_000 });
      expect(await instanceStatusFromPage(page)).toBe(200);
      // The restarted server still knows the session: it lives in the cookie, not in memory.
      expect((await meFrom(page)).data).toEqual({ user: emailOf("alice"), admin: false });

      // A tampered cookie and one sealed with another keyring are refused, over HTTP and
      // for a WebSocket.
      const other = await parseKeyring(makeTestKeys("other"));
      const forged = [
        `${cookie.value.slice(0, -2)}${cookie.value.endsWith("A") ? "BB" : "AA"}`,
        await sealSession(other, emailOf("root"), 3600),
      ];
      for (const value of forged) {
        await context.addCookies([{ ...cookie, value }]);
        expect((await meFrom(page)).error?.data).toMatchObject({
          code: "UNAUTHORIZED",
          authCode: "unauthenticated",
          authReason: "session_invalid",
          signIn: "/auth/login",
        });
        const socket = await upgrade(launcherUrl, {
          headers: { cookie: `launcher_session=${value}` },
        });
        expect(socket.status).toBe(401);
      }
      await context.addCookies([cookie]);
      expect((await meFrom(page)).data).toEqual({ user: emailOf("alice"), admin: false });

      // Sign out: the launcher's cookie and the provider's session both end.
      await page.goto(`${launcherUrl}/auth/logout`);
      await page.getByRole("button", { name: "Yes, sign me out" }).click();
      await page.waitForURL(`${launcherUrl}/`);
      expect(await sessionCookie(context)).toBeUndefined();
      expect((await meFrom(page)).error?.data.authCode).toBe("unauthenticated");
      await page.goto(`${launcherUrl}/auth/login`);
      await page.locator("input[name=login]").waitFor();

      // Another user signs in; admins come from LAUNCHER_ADMINS.
      await signIn(page, launcherUrl, "root");
      expect((await meFrom(page)).data).toEqual({ user: emailOf("root"), admin: true });

      // Signed out, /auth/token leads through sign-in and back; its token is the user's.
      const terminal = await browser.newContext();
      await terminal.route(/^https:\/\//, (route) => route.abort());
      const tokenPage = await terminal.newPage();
      await signIn(tokenPage, launcherUrl, "carol", `${launcherUrl}/auth/token`, "/auth/token");
      const token = (await tokenPage.locator("#token").textContent())!.trim();
      const asCarol = await call(launcherUrl, "me", {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(asCarol.data).toEqual({ user: emailOf("carol"), admin: false });
      await terminal.close();

      // An email address the provider has not verified names no one.
      const fresh = await browser.newContext();
      await fresh.route(/^https:\/\//, (route) => route.abort());
      const unverified = await fresh.newPage();
      await signIn(unverified, launcherUrl, "unverified-root", /\/auth\/callback\?/);
      await unverified.getByText("has not verified this email address").waitFor();
      expect(await sessionCookie(fresh)).toBeUndefined();
    } finally {
      await browser.close();
    }
  }, 120_000);
});
