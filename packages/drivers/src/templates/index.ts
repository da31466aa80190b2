import { z } from "zod";
import { type Template, TemplateSchema } from "../template.ts";
import { BUNDLED_TEMPLATES } from "./bundled.ts";

export { BUNDLED_TEMPLATES } from "./bundled.ts";

/**
 * Validates a list of templates (the bundled ones, or an operator's own file).
 * Throws a `z.ZodError` that names the bad field.
 */
export function parseTemplates(input: unknown): Template[] {
  const templates = z.array(TemplateSchema).parse(input);
  const ids = new Set<string>();
  for (const template of templates) {
    if (ids.has(template.id)) throw new TypeError(`duplicate template id "${template.id}"`);
    ids.add(template.id);
  }
  return templates;
}

/** The bundled templates, validated; fixtures only when asked for. */
export function bundledTemplates(options: { fixtures?: boolean } = {}): Template[] {
  return parseTemplates(BUNDLED_TEMPLATES).filter((t) => options.fixtures || !t.fixture);
}
