import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchpad } from "./server.ts";

const password = "correct-horse-battery-staple";
const server = createScratchpad(password);
let base = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const basic = (pass: string, user = "anyone") =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

describe("scratchpad", () => {
  it("answers /health without a password", async () => {
    expect((await fetch(`${base}health`)).status).toBe(200);
  });

  it("serves the page to the right password with any user name, without a redirect", async () => {
    const res = await fetch(base, {
      headers: { authorization: basic(password, "x") },
      redirect: "manual",
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Scratchpad");
  });

  it("refuses a wrong password with 401 and a Basic challenge", async () => {
    const res = await fetch(base, { headers: { authorization: basic("wrong") } });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Basic/);
  });

  it("shows browsers a login form, and signs them in with a cookie", async () => {
    const form = await fetch(base, { headers: { accept: "text/html" } });
    expect(form.status).toBe(401);
    expect(await form.text()).toContain('name="password"');
    const wrong = await fetch(`${base}login`, {
      method: "POST",
      body: new URLSearchParams({ password: "nope" }),
    });
    expect(wrong.status).toBe(401);
    const login = await fetch(`${base}login`, {
      method: "POST",
      body: new URLSearchParams({ password }),
      redirect: "manual",
    });
    expect(login.status).toBe(303);
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const page = await fetch(base, { headers: { cookie } });
    expect(page.status).toBe(200);
  });

  it("keeps notes, escaped", async () => {
    const headers = { authorization: basic(password) };
    await fetch(`${base}notes`, {
      method: "POST",
      headers,
      body: new URLSearchParams({ note: "<b>hi</b>" }),
      redirect: "manual",
    });
    const html = await (await fetch(base, { headers })).text();
    expect(html).toContain("&#60;b&#62;hi&#60;/b&#62;");
  });

  it("keeps the sessions of two instances on one host apart (cookies ignore ports)", async () => {
    // Regression: every instance named its cookie `scratchpad`, so signing in to one signed
    // the browser out of the other.
    const servers = [
      createScratchpad(password, { instance: "a".repeat(32) }),
      createScratchpad(password, { instance: "b".repeat(32) }),
    ];
    const bases = await Promise.all(
      servers.map(
        (s) =>
          new Promise<string>((resolve) =>
            s.listen(0, "127.0.0.1", () =>
              resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}/`),
            ),
          ),
      ),
    );
    try {
      // A browser's jar for host 127.0.0.1: a cookie of the same name replaces the older one.
      const jar = new Map<string, string>();
      for (const url of bases) {
        const login = await fetch(`${url}login`, {
          method: "POST",
          body: new URLSearchParams({ password }),
          redirect: "manual",
        });
        const [pair] = login.headers.get("set-cookie")!.split(";");
        const [name, value] = pair!.split("=");
        jar.set(name!, value!);
      }
      const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
      for (const url of bases) {
        expect((await fetch(url, { headers: { cookie } })).status, url).toBe(200);
      }
    } finally {
      for (const s of servers) s.close();
    }
  });
});
