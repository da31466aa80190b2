import { initTRPC } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createOpenApiDocument } from "./openapi.ts";

const t = initTRPC.create();
const router = t.router({
  search: t.procedure
    .input(z.object({ q: z.string() }))
    .output(z.object({ hits: z.array(z.string()) }))
    .query(() => ({ hits: [] })),
  count: t.procedure.input(z.object({ all: z.boolean().optional() }).optional()).query(() => 0),
  admin: t.router({ reset: t.procedure.input(z.object({ id: z.string() })).mutation(() => null) }),
  watch: t.procedure.input(z.object({ from: z.number() })).subscription(async function* () {}),
});
// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON
const doc = createOpenApiDocument("9.9.9", router) as any;

describe("createOpenApiDocument", () => {
  it("puts a query with input at GET, its input as the JSON `input` parameter", () => {
    const search = doc.paths["/trpc/search"].get;
    expect(search.parameters).toEqual([
      expect.objectContaining({
        name: "input",
        in: "query",
        required: true,
        content: { "application/json": { schema: { $ref: "#/components/schemas/SearchInput" } } },
      }),
    ]);
    expect(doc.components.schemas.SearchInput).toMatchObject({
      type: "object",
      required: ["q"],
    });
    expect(search.responses["200"].content["application/json"].schema).toMatchObject({
      properties: {
        result: { properties: { data: { $ref: "#/components/schemas/SearchOutput" } } },
      },
    });
    expect(doc.components.schemas.SearchOutput.$schema).toBeUndefined();
  });

  it("leaves an optional input optional, and an output without a parser open", () => {
    const count = doc.paths["/trpc/count"].get;
    expect(count.parameters[0].required).toBe(false);
    expect(count.responses["200"].content["application/json"].schema.properties.result).toEqual({
      type: "object",
      required: ["data"],
      properties: { data: {} },
    });
  });

  it("puts a nested mutation at POST with its input as the body; a subscription only as a schema", () => {
    const reset = doc.paths["/trpc/admin.reset"].post;
    expect(reset.operationId).toBe("admin.reset");
    expect(reset.requestBody).toEqual({
      required: true,
      content: { "application/json": { schema: { $ref: "#/components/schemas/AdminResetInput" } } },
    });
    expect(doc.paths["/trpc/watch"]).toBeUndefined();
    expect(doc.components.schemas.WatchInput.required).toEqual(["from"]);
    expect(doc.info.version).toBe("9.9.9");
    expect(doc.info.description).toContain("(watch)");
  });

  it("describes every error code with its HTTP status", () => {
    const data = doc.components.schemas.Error.properties.error.properties.data.properties;
    expect(data.code.enum).toContain("TOO_MANY_REQUESTS");
    expect(data.httpStatus.enum).toEqual(expect.arrayContaining([400, 401, 403, 404, 429, 503]));
    expect(data.tokenCode.enum).toContain("expired");
  });
});
