/**
 * Label selectors as the Kubernetes API parses them (`labelSelector=` on lists and watches):
 * comma-separated requirements, all of which must hold —
 * `key=value`, `key==value`, `key!=value`, `key` (exists), `!key` (does not exist),
 * `key in (a,b)` and `key notin (a,b)`. `!=` and `notin` also match objects without the key.
 * A malformed selector is refused (the API answers 400).
 */
export type LabelMatcher = (labels: Readonly<Record<string, string>> | undefined) => boolean;

export function parseLabelSelector(selector: string | null | undefined): LabelMatcher {
  const requirements = splitRequirements(selector ?? "").map(parseRequirement);
  return (labels = {}) => requirements.every((matches) => matches(labels));
}

/** Splits on commas that are not inside an `in (…)` set. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of selector) {
    if (char === "(") depth++;
    if (char === ")") depth--;
    if (char === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += char;
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part.length > 0);
}

const KEY = String.raw`(?:[a-z0-9A-Z.-]+\/)?[a-zA-Z0-9](?:[a-zA-Z0-9_.-]*[a-zA-Z0-9])?`;
const VALUE = `(?:[a-zA-Z0-9](?:[a-zA-Z0-9_.-]*[a-zA-Z0-9])?)?`;

function parseRequirement(text: string): (labels: Readonly<Record<string, string>>) => boolean {
  let match = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`).exec(text);
  if (match) {
    const [, key, operator, value] = match as unknown as [string, string, string, string];
    return operator === "!="
      ? (labels) => labels[key] !== value
      : (labels) => labels[key] === value;
  }
  match = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`).exec(text);
  if (match) {
    const key = match[1]!;
    const values = new Set(match[3]!.split(",").map((v) => v.trim()));
    return match[2] === "in"
      ? (labels) => labels[key] !== undefined && values.has(labels[key])
      : (labels) => labels[key] === undefined || !values.has(labels[key]);
  }
  match = new RegExp(`^(!?)\\s*(${KEY})$`).exec(text);
  if (match) {
    const key = match[2]!;
    return match[1] ? (labels) => labels[key] === undefined : (labels) => labels[key] !== undefined;
  }
  throw new SelectorError(`unable to parse requirement: ${text}`);
}

export class SelectorError extends Error {}
