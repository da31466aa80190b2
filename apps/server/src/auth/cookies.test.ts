import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { readCookie, serializeCookie } from "./cookies.ts";

const withCookie = (cookie: string) => ({ headers: { cookie } }) as unknown as IncomingMessage;

describe("cookies", () => {
  it("reads one cookie among others, the first when repeated, quotes removed", () => {
    expect(readCookie(withCookie("a=1; launcher_session=abc; b=2"), "launcher_session")).toBe(
      "abc",
    );
    expect(readCookie(withCookie('x="q"; x=r'), "x")).toBe("q");
    expect(readCookie(withCookie("xlauncher_session=1"), "launcher_session")).toBeUndefined();
    expect(readCookie({ headers: {} } as IncomingMessage, "x")).toBeUndefined();
  });

  it("writes HttpOnly, SameSite=Lax cookies, Secure only for https", () => {
    expect(serializeCookie("s", "v", { maxAge: 60, path: "/", secure: false })).toBe(
      "s=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax",
    );
    expect(serializeCookie("s", "", { maxAge: 0, path: "/auth/", secure: true })).toBe(
      "s=; Path=/auth/; Max-Age=0; HttpOnly; SameSite=Lax; Secure",
    );
  });
});
