import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import {
  errorFromShape,
  LauncherError,
  refusalReason,
  ticketIsGone,
  toLauncherError,
} from "./errors.ts";

function fromServer(code: string, data: Record<string, unknown> = {}) {
  return TRPCClientError.from({
    error: { code: -32001, message: "nope", data: { code, httpStatus: 401, ...data } },
  });
}

describe("toLauncherError", () => {
  it("tells which crypto-token refusal a refused ticket was", () => {
    const error = toLauncherError(fromServer("UNAUTHORIZED", { tokenCode: "expired" }));
    expect(error).toBeInstanceOf(LauncherError);
    expect(error.code).toBe("ticket_refused");
    expect(error.tokenCode).toBe("expired");
  });

  it("carries retryAfter of a rate limit", () => {
    const error = toLauncherError(fromServer("TOO_MANY_REQUESTS", { retryAfter: 7 }));
    expect(error.code).toBe("rate_limited");
    expect(error.retryAfter).toBe(7);
  });

  it("maps the API's other errors to codes callers can act on", () => {
    expect(toLauncherError(fromServer("NOT_FOUND")).code).toBe("not_found");
    expect(toLauncherError(fromServer("BAD_REQUEST")).code).toBe("bad_request");
    expect(toLauncherError(fromServer("PRECONDITION_FAILED")).code).toBe("unavailable");
    expect(toLauncherError(fromServer("INTERNAL_SERVER_ERROR")).code).toBe("server_error");
  });

  it("calls an error without any answer from the server unreachable", () => {
    const error = toLauncherError(TRPCClientError.from(new TypeError("fetch failed")));
    expect(error.code).toBe("unreachable");
  });

  it("does not trust an unknown token code", () => {
    const error = toLauncherError(fromServer("UNAUTHORIZED", { tokenCode: "<script>" }));
    expect(error.tokenCode).toBeUndefined();
  });

  it("tells a sign-in that is needed and a quota that is reached from a refused ticket", () => {
    const signIn = errorFromShape({
      message: "Sign in",
      data: { code: "UNAUTHORIZED", authCode: "unauthenticated" },
    });
    expect(signIn?.code).toBe("unauthenticated");
    const quota = errorFromShape({
      message: "You have 3 instances running: destroy one, then try again",
      data: { code: "FORBIDDEN", quota: { scope: "user", limit: 3, used: 3 } },
    });
    expect(quota).toMatchObject({ code: "forbidden", quota: { scope: "user", limit: 3 } });
    expect(ticketIsGone(quota)).toBe(false);
  });
});

describe("ticketIsGone", () => {
  it("is true only for refusals that no server and no later try can undo", () => {
    const refused = (tokenCode: string) =>
      toLauncherError(fromServer("UNAUTHORIZED", { tokenCode }));
    expect(ticketIsGone(refused("expired"))).toBe(true);
    expect(ticketIsGone(refused("malformed"))).toBe(true);
    for (const code of ["invalid", "unknown_key", "not_yet_valid", "too_large", "missing"]) {
      expect(ticketIsGone(refused(code)), code).toBe(false);
    }
    expect(ticketIsGone(new LauncherError("unreachable", "down"))).toBe(false);
  });
});

describe("refusalReason", () => {
  it("words every refusal for people, and anything else as not valid here", () => {
    const codes = ["expired", "malformed", "invalid", "unknown_key", "not_yet_valid"] as const;
    const reasons = codes.map(refusalReason);
    expect(reasons[0]).toBe("it has expired");
    expect(new Set(reasons).size).toBe(codes.length);
    for (const reason of reasons) expect(reason).toMatch(/^it /);
    for (const odd of [undefined, "constructor", "weird"]) {
      expect(refusalReason(odd as never)).toBe("it is not valid here");
    }
  });
});
