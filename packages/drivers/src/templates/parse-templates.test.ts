import { describe, expect, it } from "vitest";
import type { TemplateInput } from "../template.ts";
import { parseTemplates, TemplateError } from "./index.ts";

const base = (): TemplateInput & Record<string, unknown> => ({
  id: "notes",
  name: "Notes",
  description: "A notes app",
  secrets: [{ name: "password", env: "NOTES_PASSWORD" }],
  drivers: {
    local: { command: ["{node}", "{app}", "--port={port}"], healthPath: "/health" },
    docker: { image: "example/notes:1", port: 8080, healthPath: "/health" },
  },
});

/** The problems `parseTemplates` lists for `templates`, or [] when it accepts them. */
function problemsOf(templates: unknown[], localVars = ["app"]): readonly string[] {
  try {
    parseTemplates(templates, { localVars });
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as Error).message).toContain("Bad templates:");
    return (error as TemplateError).problems;
  }
}

describe("a templates file is refused when it is loaded", () => {
  it("accepts a good one", () => {
    expect(problemsOf([base()])).toEqual([]);
  });

  it("refuses unknown keys instead of dropping them, naming the template and field", () => {
    const misspelt = base();
    misspelt.secret = [{ name: "token", env: "TOKEN" }];
    const local = { ...base().drivers.local!, healthpath: "/x" };
    const deep = { ...base(), id: "deep", drivers: { local } };
    expect(problemsOf([misspelt, deep])).toEqual([
      expect.stringMatching(/^template "notes": .*secret/),
      expect.stringMatching(/^template "deep", drivers\.local: .*healthpath/),
    ]);
  });

  it("refuses duplicate secret names and duplicate secret variables", () => {
    const template = base();
    template.secrets = [
      { name: "password", env: "NOTES_PASSWORD" },
      { name: "password", env: "OTHER" },
      { name: "cookie", env: "NOTES_PASSWORD" },
    ];
    expect(problemsOf([template])).toEqual([
      'template "notes", secrets.1.name: duplicate secret name "password"',
      'template "notes", secrets.2.env: duplicate secret variable "NOTES_PASSWORD"',
    ]);
  });

  it("refuses a spec env that would override a generated secret", () => {
    const template = base();
    template.drivers.local!.env = { NOTES_PASSWORD: "hunter2" };
    template.drivers.docker!.env = { NOTES_PASSWORD: "hunter2", OK: "1" };
    expect(problemsOf([template])).toEqual([
      'template "notes", drivers.local.env.NOTES_PASSWORD: sets NOTES_PASSWORD, the variable of a generated secret',
      'template "notes", drivers.docker.env.NOTES_PASSWORD: sets NOTES_PASSWORD, the variable of a generated secret',
    ]);
  });

  it("refuses local dirs that are not a folder inside the instance's own: . .. absolute or with ..", () => {
    // Regression: ".." was accepted, and an isolating driver gave the work root to the uid.
    const template = base();
    template.drivers.local!.dirs = ["data", "..", ".", "/etc", "a/../..", ".cache", "..."];
    expect(problemsOf([template])).toEqual([
      'template "notes", drivers.local.dirs.1: a folder inside {dir}, not . or ..',
      'template "notes", drivers.local.dirs.2: a folder inside {dir}, not . or ..',
      'template "notes", drivers.local.dirs.3: one folder name (letters, digits, _ . -)',
      'template "notes", drivers.local.dirs.3: a folder inside {dir}, not . or ..',
      'template "notes", drivers.local.dirs.4: one folder name (letters, digits, _ . -)',
      'template "notes", drivers.local.dirs.4: a folder inside {dir}, not . or ..',
    ]);
  });

  it("refuses placeholders the driver does not fill, at load rather than at launch", () => {
    const template = base();
    template.drivers.local!.env = { HOME: "{dir}/home", DATA: "{data}" };
    template.drivers.docker!.image = "example/notes:{tag}";
    template.drivers.docker!.healthPath = "/{id}/health/{port}";
    expect(problemsOf([template])).toEqual([
      'template "notes", drivers.local.env.DATA: unknown placeholder {data} (local knows {id}, {port}, {dir}, {node}, {app})',
      'template "notes", drivers.docker.image: unknown placeholder {tag} (docker knows {id})',
      'template "notes", drivers.docker.healthPath: unknown placeholder {port} (docker knows {id})',
    ]);
    // A local variable the server does not configure is unknown too.
    expect(problemsOf([base()], [])).toEqual([
      'template "notes", drivers.local.command.1: unknown placeholder {app} (local knows {id}, {port}, {dir}, {node})',
    ]);
  });

  it("lists every problem at once, and duplicate ids", () => {
    const bad = { ...base(), id: "Bad Id" };
    expect(problemsOf([bad, base()])).toEqual([expect.stringMatching(/^template "Bad Id", id: /)]);
    expect(problemsOf([base(), base()])).toEqual(['duplicate template id "notes"']);
  });
});
