import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import { LauncherError, toLauncherError } from "./errors.ts";

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
});
