// Shared by this folder's tests only; not exported from the subpath.
import { TokenError } from "../errors.ts";

/** Resolves to "ok", or to the TokenError code; rethrows anything else so the test fails. */
export async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    if (error instanceof TokenError) return error.code;
    throw error;
  }
}

/** Same, for synchronous code. */
export function outcomeOf(run: () => unknown): string {
  try {
    run();
    return "ok";
  } catch (error) {
    if (error instanceof TokenError) return error.code;
    throw error;
  }
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
export const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "hex"));
