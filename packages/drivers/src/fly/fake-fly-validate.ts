import type { z } from "zod";
import {
  AppSecretsUpdateRequest,
  AssignIpRequest,
  CreateAppRequest,
  CreateMachineRequest,
  checkBody,
  UpdateMachineRequest,
  UpsertMetadataKeyRequest,
  WaitState,
} from "./fake-fly-schema.ts";

/** A request the Machines API refuses: its status and `ErrorResponse` body. */
export interface FlyRefusal {
  status: 400 | 422;
  body: { error: string; status?: string };
}

/** Each endpoint the driver sends a body to, by method and path shape, and its schema. */
const BODIES: [method: string, path: RegExp, schema: z.ZodType][] = [
  ["POST", /^apps$/, CreateAppRequest],
  ["POST", /^apps\/[^/]+\/secrets$/, AppSecretsUpdateRequest],
  ["POST", /^apps\/[^/]+\/ip_assignments$/, AssignIpRequest],
  ["POST", /^apps\/[^/]+\/machines$/, CreateMachineRequest],
  ["POST", /^apps\/[^/]+\/machines\/[^/]+$/, UpdateMachineRequest],
  ["POST", /^apps\/[^/]+\/machines\/[^/]+\/metadata\/[^/]+$/, UpsertMetadataKeyRequest],
];

/**
 * Judges a request as the Machines API does before acting on it (the fake's `fake-fly.ts`
 * calls it for every request): a body that is not JSON, or that does not match the published
 * schema of its endpoint (`fake-fly-schema.ts`), and query parameters outside their documented
 * values, are refused with 400 and `{ error }`; creating an app answers 422 ("rejected by
 * validation", as the document says) for a body that decodes but is not valid.
 *
 * @example
 * const refusal = judgeFlyRequest("POST", "apps/my-app/machines", rawBody, url.searchParams);
 * if (refusal) return send(res, refusal.status, refusal.body);
 */
export function judgeFlyRequest(
  method: string,
  path: string,
  raw: string,
  query: URLSearchParams,
): FlyRefusal | undefined {
  const refuse = (error: string, status: 400 | 422 = 400): FlyRefusal => ({
    status,
    body: { error },
  });
  if (method === "GET" && path === "apps" && !query.get("org_slug")) {
    return refuse("org_slug is required");
  }
  if (method === "GET" && /^apps\/[^/]+\/machines\/[^/]+\/wait$/.test(path)) {
    const state = query.get("state");
    if (state !== null && !state.split(",").every((s) => WaitState.safeParse(s).success)) {
      return refuse(`invalid state "${state}"`);
    }
    const timeout = query.get("timeout");
    if (timeout !== null && !/^\d+$/.test(timeout)) return refuse(`invalid timeout "${timeout}"`);
  }
  const endpoint = BODIES.find(([m, p]) => m === method && p.test(path));
  if (!endpoint) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return refuse("invalid JSON in the request body");
  }
  const checked = checkBody(endpoint[2], body);
  if (checked.ok) return undefined;
  return refuse(checked.error, endpoint[2] === CreateAppRequest && !checked.decoding ? 422 : 400);
}
