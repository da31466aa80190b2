// The Elixir-generated vectors, for this folder's tests only; not exported from the subpath.
import { readFileSync } from "node:fs";
import type { JsonValue } from "./json.ts";

export interface Vector {
  name: string;
  category: string;
  secret_key_base: string;
  salt: string;
  token: string | null;
  now_ms: number;
  max_age?: number | "infinity";
  expected: { ok: JsonValue } | { error: "invalid" | "expired" | "missing" };
  term_hex?: string;
}

// shared/ sits beside the clone, here and in CI.
const url = new URL("../../../../../shared/vectors/phoenix-token.json", import.meta.url);

export const vectors: Vector[] = JSON.parse(readFileSync(url, "utf8")).vectors;
