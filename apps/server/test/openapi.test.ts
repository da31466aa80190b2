import { appRouter } from "@launcher/api";
import { startServer, type TestServer } from "@launcher/testing";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { followRaw } from "./raw-ws.ts";

let server: TestServer;
// biome-ignore lint/suspicious/noExplicitAny: the document is JSON read off the wire
let doc: any;

beforeAll(async () => {
  server = await startServer();
  const response = await fetch(`${server.url}/openapi.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  doc = await response.json();
});
afterAll(async () => {
  await server?.dispose();
});

/** Checks a value against a schema of the document (its `$ref`s resolve in `components`). */
function expectValid(schema: object, value: unknown): void {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const validate = ajv.compile({ ...schema, components: doc.components });
  const valid = validate(value);
  expect(validate.errors ?? [], JSON.stringify(value).slice(0, 500)).toEqual([]);
  expect(valid).toBe(true);
}

const okSchema = (path: string, method: "get" | "post") =>
  doc.paths[path][method].responses["200"].content["application/json"].schema;
const errorSchema = (path: string, method: "get" | "post", status: "4XX" | "5XX") =>
  doc.paths[path][method].responses[status].content["application/json"].schema;

async function post(path: string, body: unknown) {
  const response = await fetch(`${server.url}/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

describe("GET /openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("lists every query and mutation at its tRPC HTTP path, and no subscription", () => {
    const procedures = appRouter._def.procedures as unknown as Record<
      string,
      { _def: { type: string; inputs: unknown[] } }
    >;
    const expected = Object.entries(procedures)
      .filter(([, p]) => p._def.type !== "subscription")
      .map(([path, p]) => [`/trpc/${path}`, p._def.type === "query" ? "get" : "post"]);
    expect(expected.length).toBeGreaterThan(0);
    const listed = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => [path, method]),
    );
    expect(listed.sort()).toEqual(expected.sort());
    expect(doc.paths["/trpc/templates.list"].get).toBeDefined();
    const prepare = doc.paths["/trpc/launch.prepare"].post;
    expect(prepare.requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/LaunchPrepareInput",
    });
    expect(doc.components.schemas.LaunchPrepareInput.required).toEqual(["template"]);
    expect(doc.paths["/trpc/launch.follow"]).toBeUndefined();
    expect(doc.components.schemas.LaunchFollowInput.required).toEqual(["ticket"]);
  });

  it("documents what the server really answers, outputs and errors alike", async () => {
    const templates = await fetch(`${server.url}/trpc/templates.list`);
    expect(templates.status).toBe(200);
    expectValid(okSchema("/trpc/templates.list", "get"), await templates.json());

    const health = await fetch(`${server.url}/trpc/health`);
    expectValid(okSchema("/trpc/health", "get"), await health.json());

    const prepared = await post("launch.prepare", { template: "scratchpad" });
    expect(prepared.status).toBe(200);
    expectValid(okSchema("/trpc/launch.prepare", "post"), prepared.body);
    const { ticket } = (prepared.body as { result: { data: { ticket: string } } }).result.data;

    // The launch's events over the WebSocket are Snapshots, as documented.
    const followed = await followRaw(server.url, { ticket });
    expect(followed.snapshots.at(-1)?.phase).toBe("ready");
    for (const snapshot of followed.snapshots) {
      expectValid({ $ref: "#/components/schemas/Snapshot" }, snapshot);
    }

    const destroyed = await post("launch.destroy", { ticket });
    expect(destroyed.status).toBe(200);
    expectValid(okSchema("/trpc/launch.destroy", "post"), destroyed.body);

    const at = ticket.length - 10; // in the sealed bytes: the ticket no longer authenticates
    const tampered = `${ticket.slice(0, at)}${ticket[at] === "A" ? "B" : "A"}${ticket.slice(at + 1)}`;
    const refused = await post("launch.destroy", { ticket: tampered });
    expect(refused.status).toBe(401);
    expectValid(errorSchema("/trpc/launch.destroy", "post", "4XX"), refused.body);
    expect(refused.body).toMatchObject({
      error: {
        code: -32001,
        data: { code: "UNAUTHORIZED", httpStatus: 401, tokenCode: "invalid" },
      },
    });

    const unknown = await post("launch.prepare", { template: "no-such-template" });
    expect(unknown.status).toBe(404);
    expectValid(errorSchema("/trpc/launch.prepare", "post", "4XX"), unknown.body);
    const invalid = await post("launch.prepare", { template: "" });
    expect(invalid.status).toBe(400);
    expectValid(errorSchema("/trpc/launch.prepare", "post", "4XX"), invalid.body);
  });
});
