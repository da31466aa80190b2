import { describe, expect, it } from "vitest";
import { TemplateSchema } from "../template.ts";
import {
  BUNDLED_LOCAL_VARS,
  BUNDLED_TEMPLATES,
  bundledTemplates,
  parseTemplates,
} from "./index.ts";

const byId = (id: string) => bundledTemplates({ fixtures: true }).find((t) => t.id === id)!;

describe("bundled templates", () => {
  it("are valid data, with unique ids, and fixtures only when asked for", () => {
    expect(() =>
      parseTemplates(BUNDLED_TEMPLATES, { localVars: BUNDLED_LOCAL_VARS }),
    ).not.toThrow();
    expect(bundledTemplates().map((t) => t.id)).toEqual(["scratchpad", "jupyter", "livebook"]);
    expect(bundledTemplates({ fixtures: true }).length).toBeGreaterThan(3);
    expect(() => parseTemplates([BUNDLED_TEMPLATES[0], BUNDLED_TEMPLATES[0]])).toThrow(/duplicate/);
  });

  it("refuse bad template data with the field named", () => {
    const bad = {
      ...BUNDLED_TEMPLATES[0],
      secrets: [{ name: "password", env: "lower-case", length: 8 }],
    };
    const result = TemplateSchema.safeParse(bad);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join("."))).toEqual(
      expect.arrayContaining(["secrets.0.env", "secrets.0.length"]),
    );
  });

  it("name their credentials as clients expect", () => {
    const credentials = (id: string) =>
      byId(id)
        .secrets.filter((s) => s.credential)
        .map((s) => s.name);
    expect(credentials("scratchpad")).toEqual(["password"]);
    expect(credentials("jupyter")).toEqual(["token"]);
    expect(credentials("livebook")).toEqual(["password"]);
  });

  it("give Livebook what its image requires", () => {
    const livebook = byId("livebook");
    const secret = (env: string) => livebook.secrets.find((s) => s.env === env)!;
    expect(secret("LIVEBOOK_PASSWORD").length).toBeGreaterThanOrEqual(12);
    expect(secret("LIVEBOOK_SECRET_KEY_BASE").length).toBeGreaterThanOrEqual(64);
    expect(secret("LIVEBOOK_SECRET_KEY_BASE").credential).toBe(false);
    expect(secret("LIVEBOOK_COOKIE").credential).toBe(false);
    for (const driver of ["docker", "fly", "kubernetes"] as const) {
      expect(livebook.drivers[driver]).toMatchObject({
        image: "ghcr.io/livebook-dev/livebook:latest",
        port: 8080,
        healthPath: "/public/health",
      });
    }
  });

  it("give Jupyter its token in JUPYTER_TOKEN, a private home, and a base URL path", () => {
    const jupyter = byId("jupyter");
    expect(jupyter.secrets).toEqual([
      { name: "token", env: "JUPYTER_TOKEN", length: 32, credential: true },
    ]);
    const local = jupyter.drivers.local!;
    expect(local.requires).toBe("jupyter");
    expect(local.command).toContain("--NotebookApp.base_url=/{id}/");
    expect(local.env).toMatchObject({ HOME: "{dir}/home", JUPYTER_RUNTIME_DIR: "{dir}/runtime" });
    expect(local.urlPath).toBe("/{id}/");
    expect(local.healthPath).toBe("/{id}/api");
    // The token reaches Jupyter only through its environment, never its command line.
    expect(local.command.join(" ")).not.toMatch(/token/i);
    expect(jupyter.drivers.docker).toMatchObject({
      image: "quay.io/jupyter/base-notebook:latest",
      port: 8888,
      healthPath: "/api",
    });
  });
});
