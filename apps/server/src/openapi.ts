// `GET /openapi.json`: an OpenAPI 3.1 document of the API's queries and mutations at their
// tRPC HTTP paths, generated from the router itself: every procedure it holds, with the JSON
// Schema (2020-12, OpenAPI 3.1's dialect) of its zod input and output. Nothing is listed by
// hand but the error shape's codes, each list checked complete against its type.
import { type AuthCode, type AuthReason, appRouter, SnapshotSchema } from "@launcher/api";
import type { TokenErrorCode } from "@launcher/crypto-token";
import type { DriverError } from "@launcher/drivers";
import { type AnyTRPCRouter, TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { type TRPC_ERROR_CODE_KEY, TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import { z } from "zod";

type JsonSchema = Record<string, unknown>;

/** What the generator reads of a built procedure (tRPC keeps its parsers on `_def`). */
interface ProcedureDef {
  type: "query" | "mutation" | "subscription";
  inputs: unknown[];
  output?: unknown;
  meta?: { description?: string };
}

/** Every refusal code crypto-token has; `satisfies` and `Complete` keep the list whole. */
const TOKEN_CODES = [
  "malformed",
  "invalid",
  "expired",
  "not_yet_valid",
  "unknown_key",
  "too_large",
  "missing",
] as const satisfies readonly TokenErrorCode[];
const DRIVER_CODES = [
  "unavailable",
  "refused",
  "not_found",
  "platform",
  "bad_spec",
] as const satisfies readonly DriverError["code"][];
const AUTH_CODES = ["unauthenticated", "not_owner"] as const satisfies readonly AuthCode[];
const AUTH_REASONS = [
  "missing",
  "untrusted_proxy",
  "empty_header",
  "header_too_long",
  "bad_header",
  "session_expired",
  "session_invalid",
] as const satisfies readonly AuthReason[];
type Complete<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : never;
const complete: [
  Complete<TokenErrorCode, (typeof TOKEN_CODES)[number]>,
  Complete<DriverError["code"], (typeof DRIVER_CODES)[number]>,
  Complete<AuthCode, (typeof AUTH_CODES)[number]>,
  Complete<AuthReason, (typeof AUTH_REASONS)[number]>,
] = [true, true, true, true];
void complete;

const ERROR_KEYS = Object.keys(TRPC_ERROR_CODES_BY_KEY) as TRPC_ERROR_CODE_KEY[];

/** The body of every error answer, HTTP and WebSocket alike (the server's `errorFormatter`). */
const ERROR_SCHEMA: JsonSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message", "data"],
      properties: {
        code: {
          description: "The JSON-RPC 2.0 error code of `data.code`.",
          type: "integer",
          enum: [...new Set(Object.values(TRPC_ERROR_CODES_BY_KEY))],
        },
        message: { type: "string", description: "For people; never a stack trace." },
        data: {
          type: "object",
          required: ["code", "httpStatus"],
          properties: {
            code: { type: "string", enum: ERROR_KEYS, description: "The tRPC error code." },
            httpStatus: {
              type: "integer",
              enum: [...new Set(ERROR_KEYS.map(statusOf))].sort((a, b) => a - b),
            },
            path: { type: "string", description: "The procedure, e.g. `launch.prepare`." },
            tokenCode: {
              type: "string",
              enum: [...TOKEN_CODES],
              description: "With `UNAUTHORIZED`: why the ticket was refused.",
            },
            driverCode: {
              type: "string",
              enum: [...DRIVER_CODES],
              description: "With `SERVICE_UNAVAILABLE`: what the platform said.",
            },
            retryAfter: {
              type: "number",
              description: "With `TOO_MANY_REQUESTS`: seconds to wait before trying again.",
            },
            maxSubscriptions: {
              type: "integer",
              description: "With `TOO_MANY_REQUESTS` on a WebSocket: its subscription limit.",
            },
            authCode: {
              type: "string",
              enum: [...AUTH_CODES],
              description:
                "With `UNAUTHORIZED` (`unauthenticated`: no user) or `FORBIDDEN` (`not_owner`).",
            },
            authReason: {
              type: "string",
              enum: [...AUTH_REASONS],
              description: "With `unauthenticated`: why the request names no user.",
            },
            signIn: {
              type: "string",
              description: "With `unauthenticated` under OIDC: where a browser signs in.",
            },
            quota: {
              type: "object",
              description: "With `FORBIDDEN`: the instance quota a new launch would exceed.",
              properties: {
                scope: { type: "string", enum: ["user", "global"] },
                limit: { type: "integer" },
                used: { type: "integer" },
              },
            },
          },
        },
      },
    },
  },
};

function statusOf(code: TRPC_ERROR_CODE_KEY): number {
  return getHTTPStatusCodeFromError(new TRPCError({ code }));
}

/** A zod schema as JSON Schema, without its `$schema` (the document's dialect applies). */
function toSchema(schema: unknown, io: "input" | "output"): JsonSchema {
  const { $schema: _, ...json } = z.toJSONSchema(schema as z.ZodType, {
    io,
    unrepresentable: "any",
  });
  return json;
}

/** `launch.prepare` → `LaunchPrepare`, for component names. */
function pascal(path: string): string {
  return path
    .split(/[.-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

/** A line for each procedure; one without (a new one) is named by its type and path. */
const SUMMARIES: Record<string, string> = {
  health: "Whether the server is up, and its version",
  "templates.list": "The templates this server can launch, per driver, with their availability",
  "launch.prepare":
    "Draws an instance id and secrets and seals them into a ticket (no side effect); keep the ticket, then follow",
  "launch.destroy": "Tears the ticket's instance down (idempotent); a follow then ends destroyed",
  me: "Who the caller is, and whether an admin",
  "instances.list": "The caller's instances (everyone's for an admin with all: true)",
  "instances.destroy": "Destroys an instance by id, for its owner or an admin",
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ref("Error") } },
});

function operation(path: string, def: ProcedureDef, schemas: Record<string, JsonSchema>) {
  const name = pascal(path);
  const input = def.inputs[0];
  if (input) schemas[`${name}Input`] = toSchema(input, "input");
  if (def.output) schemas[`${name}Output`] = toSchema(def.output, "output");
  // A procedure without an output parser answers with anything JSON (`{}`, any schema).
  const data = def.output ? ref(`${name}Output`) : {};
  const op: Record<string, unknown> = {
    operationId: path,
    tags: [path.includes(".") ? path.slice(0, path.indexOf(".")) : path],
    summary: def.meta?.description ?? SUMMARIES[path] ?? `${def.type} ${path}`,
    responses: {
      "200": {
        description: "The procedure's output, as `result.data`.",
        content: {
          "application/json": {
            schema: {
              type: "object",
              required: ["result"],
              properties: {
                result: { type: "object", required: ["data"], properties: { data } },
              },
            },
          },
        },
      },
      "4XX": errorResponse("Refused: a bad input, a refused ticket, a rate limit…"),
      "5XX": errorResponse("The server or a platform failed."),
    },
  };
  // An input that accepts nothing at all (`.optional()`) may be left out.
  const required = !!input && !(input as z.ZodType).safeParse(undefined).success;
  if (input && def.type === "query") {
    op.parameters = [
      {
        name: "input",
        in: "query",
        required,
        description: "The input, as JSON (URL-encoded).",
        content: { "application/json": { schema: ref(`${name}Input`) } },
      },
    ];
  } else if (input) {
    op.requestBody = {
      required,
      content: { "application/json": { schema: ref(`${name}Input`) } },
    };
  }
  return op;
}

/** The OpenAPI 3.1 document of the launcher's HTTP API (of `router`: the app's by default). */
export function createOpenApiDocument(
  version: string,
  router: AnyTRPCRouter = appRouter,
): Record<string, unknown> {
  // Typed as the nested record, but flat at run time: `"launch.prepare": procedure`.
  const procedures = router._def.procedures as unknown as Record<string, { _def: ProcedureDef }>;
  const schemas: Record<string, JsonSchema> = {};
  const paths: Record<string, unknown> = {};
  const subscriptions: string[] = [];
  for (const [path, procedure] of Object.entries(procedures).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    const def = procedure._def;
    if (def.type === "subscription") {
      // Over the WebSocket only: its input is documented here, its messages in protocol.md.
      subscriptions.push(path);
      if (def.inputs[0]) schemas[`${pascal(path)}Input`] = toSchema(def.inputs[0], "input");
      continue;
    }
    const method = def.type === "query" ? "get" : "post";
    paths[`/trpc/${path}`] = { [method]: operation(path, def, schemas) };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Launcher",
      version,
      description: [
        "The launcher's tRPC API over plain HTTP and JSON (no transformer): a query is",
        "`GET /trpc/<path>` with its input as the JSON-encoded `input` query parameter, a",
        "mutation is `POST /trpc/<path>` with its input as the JSON body. Answers are",
        "`{ result: { data } }`, errors `{ error: { code, message, data } }`. Times are epoch",
        `milliseconds. Subscriptions (${subscriptions.join(", ")}) run over the WebSocket at`,
        "`/trpc` only (docs/protocol.md): their inputs are `components.schemas.<Name>Input`,",
        "and each event of `launch.follow` is a `Snapshot`.",
      ].join(" "),
    },
    paths,
    components: {
      schemas: {
        ...schemas,
        Snapshot: toSchema(SnapshotSchema, "output"),
        Error: ERROR_SCHEMA,
      },
    },
  };
}

let cached: string | undefined;

/** The document as JSON, built once. */
export function openApiJson(version: string): string {
  cached ??= JSON.stringify(createOpenApiDocument(version));
  return cached;
}
