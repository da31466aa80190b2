import { placeholdersIn, type Template } from "../template.ts";

/**
 * The placeholders each driver fills in a template's spec: `{id}` everywhere; on `local` also
 * `{port}`, `{dir}` and `{node}`, plus the extra variables the server configures it with.
 */
export const DRIVER_PLACEHOLDERS = {
  local: ["id", "port", "dir", "node"],
  docker: ["id"],
  fly: ["id"],
  kubernetes: ["id"],
} as const satisfies Record<keyof Template["drivers"], readonly string[]>;

/** Fields that are never filled in (a binary's name to look for on PATH). */
const LITERAL_FIELDS = new Set(["requires"]);

function* stringsIn(value: unknown, path: string[]): Generator<[string[], string]> {
  if (typeof value === "string") yield [path, value];
  else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* stringsIn(item, [...path, String(i)]);
  } else if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (!LITERAL_FIELDS.has(key)) yield* stringsIn(item, [...path, key]);
    }
  }
}

/**
 * Every placeholder in `template` its driver would not know, as "field: message" lines, so that
 * a template file is refused when it is loaded rather than at a user's launch.
 */
export function placeholderProblems(
  template: Template,
  localVars: readonly string[] = [],
): string[] {
  const problems: string[] = [];
  for (const [driver, spec] of Object.entries(template.drivers)) {
    if (!spec) continue;
    const known: readonly string[] = [
      ...DRIVER_PLACEHOLDERS[driver as keyof typeof DRIVER_PLACEHOLDERS],
      ...(driver === "local" ? localVars : []),
    ];
    for (const [path, text] of stringsIn(spec, ["drivers", driver])) {
      for (const name of placeholdersIn(text)) {
        if (known.includes(name)) continue;
        const list = known.map((k) => `{${k}}`).join(", ");
        problems.push(`${path.join(".")}: unknown placeholder {${name}} (${driver} knows ${list})`);
      }
    }
  }
  return problems;
}
