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

// A copy of ../shared/vectors/phoenix-token.json kept in the repo, so a clone tests on its own;
// vectors.test.ts checks that it still matches the shared file wherever that sits beside it.
export const vectorsUrl = new URL("./testdata/phoenix-token.json", import.meta.url);
export const sharedVectorsUrl = new URL(
  "../../../../../shared/vectors/phoenix-token.json",
  import.meta.url,
);

export const vectors: Vector[] = JSON.parse(readFileSync(vectorsUrl, "utf8")).vectors;
