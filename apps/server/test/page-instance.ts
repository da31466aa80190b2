// What a person does with a ready launch in the web app: reveal its password, open its link.

import type { Page } from "playwright-core";
import { basicAuth } from "./client.ts";

/** Reveals the ready instance's password on `page`, fetches its link with it: the status. */
export async function instanceStatusFromPage(page: Page): Promise<number> {
  await page.getByRole("button", { name: "Reveal password" }).click();
  const password = (await page.locator("[data-credential=password]").textContent())!.trim();
  const url = (await page.getByRole("link", { name: /^http:/ }).getAttribute("href"))!;
  const res = await fetch(url, { headers: basicAuth(password) });
  await res.arrayBuffer();
  return res.status;
}
