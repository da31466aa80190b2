import { readFile } from "node:fs/promises";
import type { Template } from "@launcher/drivers";
import { bundledTemplates, parseTemplates } from "@launcher/drivers/templates";
import { localVars } from "./drivers.ts";
import type { Env } from "./env.ts";

/**
 * The templates this server offers: the operator's file (`LAUNCHER_TEMPLATES`), validated whole
 * at start so that a bad one stops the server with every problem named, or the bundled ones.
 * Fixtures are listed only with `LAUNCHER_FIXTURES`.
 */
export async function loadTemplates(env: Env): Promise<Template[]> {
  const templates = env.LAUNCHER_TEMPLATES
    ? parseTemplates(await readJson(env.LAUNCHER_TEMPLATES), {
        localVars: Object.keys(localVars(env)),
      })
    : bundledTemplates({ fixtures: env.LAUNCHER_FIXTURES });
  return templates.filter((t) => env.LAUNCHER_FIXTURES || !t.fixture);
}

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, "utf8");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`LAUNCHER_TEMPLATES: ${path} is not JSON (${(error as Error).message})`);
  }
}
