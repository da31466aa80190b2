import { TokenError } from "../errors.ts";
import { invalid } from "./refuse.ts";

/**
 * Largest uncompressed size accepted for a compressed term. The size is declared by the token
 * itself, so it is checked before anything is inflated; 8 MiB is far beyond any token that fits
 * in a cookie or a URL, and small enough that a zlib bomb costs nothing.
 */
export const MAX_INFLATED_SIZE = 8 * 1024 * 1024;

/**
 * Inflates a zlib stream to exactly `size` bytes, as erts does for `term_to_binary(t, [:compressed])`.
 * Uses the Compression Streams API (Node ≥ 18 and browsers): no node:zlib, so it runs anywhere.
 * Stops reading as soon as the output would exceed `size`.
 */
export async function inflateExactly(deflated: Uint8Array, size: number): Promise<Uint8Array> {
  if (size > MAX_INFLATED_SIZE) throw invalid("compressed term declares too large a size");
  // Chunks, not one buffer of the declared size: memory follows what really inflates.
  const chunks: Uint8Array[] = [];
  let length = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    const input = new Blob([deflated as Uint8Array<ArrayBuffer>]).stream();
    reader = input.pipeThrough(new DecompressionStream("deflate")).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.length > size - length) {
        await reader.cancel().catch(() => {});
        throw invalid("compressed term inflates beyond its declared size");
      }
      chunks.push(value);
      length += value.length;
    }
  } catch (error) {
    if (error instanceof TokenError) throw error;
    throw invalid("compressed term is not a zlib stream");
  }
  if (length !== size) throw invalid("compressed term inflates short of its declared size");
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
