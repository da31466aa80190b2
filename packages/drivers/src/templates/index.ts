import { z } from "zod";
import { type Template, TemplateSchema } from "../template.ts";
import { BUNDLED_TEMPLATES } from "./bundled.ts";
import { placeholderProblems } from "./placeholders.ts";

export { BUNDLED_TEMPLATES } from "./bundled.ts";
export { DRIVER_PLACEHOLDERS, placeholderProblems } from "./placeholders.ts";

/** Placeholders the server gives the local driver for the bundled templates (`{scratchpad}`). */
export const BUNDLED_LOCAL_VARS: readonly string[] = ["scratchpad"];

/** A templates file that cannot be used; `problems` lists each, naming the template and field. */
export class TemplateError extends TypeError {
  override readonly name = "TemplateError";
  constructor(readonly problems: readonly string[]) {
    super(`Bad templates:\n  ${problems.join("\n  ")}`);
  }
}

export interface ParseTemplatesOptions {
  /** Extra placeholders the local driver is configured with, by name (`scratchpad`). */
  localVars?: readonly string[];
}

/** How a template is named in a problem: its id where it has one, else its place in the list. */
function nameOf(input: unknown, index: number): string {
  const id = Array.isArray(input) ? (input[index] as { id?: unknown } | null)?.id : undefined;
  return typeof id === "string" ? `template "${id}"` : `template #${index + 1}`;
}

/**
 * Validates a list of templates (the bundled ones, or an operator's own file) as a whole:
 * the schema (unknown keys refused), unique ids, and every placeholder known to its driver.
 * Throws a `TemplateError` listing every problem at once.
 *
 * @example
 * const templates = parseTemplates(JSON.parse(text), { localVars: ["scratchpad"] });
 */
export function parseTemplates(input: unknown, options: ParseTemplatesOptions = {}): Template[] {
  const parsed = z.array(TemplateSchema).safeParse(input);
  if (!parsed.success) {
    throw new TemplateError(
      parsed.error.issues.map((issue) => {
        const [index, ...field] = issue.path;
        if (typeof index !== "number") return `templates: ${issue.message}`;
        const where = field.length ? `, ${field.join(".")}` : "";
        return `${nameOf(input, index)}${where}: ${issue.message}`;
      }),
    );
  }
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const template of parsed.data) {
    if (ids.has(template.id)) problems.push(`duplicate template id "${template.id}"`);
    ids.add(template.id);
    for (const problem of placeholderProblems(template, options.localVars)) {
      problems.push(`template "${template.id}", ${problem}`);
    }
  }
  if (problems.length) throw new TemplateError(problems);
  return parsed.data;
}

/** The bundled templates, validated; fixtures only when asked for. */
export function bundledTemplates(options: { fixtures?: boolean } = {}): Template[] {
  return parseTemplates(BUNDLED_TEMPLATES, { localVars: BUNDLED_LOCAL_VARS }).filter(
    (t) => options.fixtures || !t.fixture,
  );
}
