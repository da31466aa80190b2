/**
 * Whether the server answers `healthUrl` within `connectTimeoutMs`; never throws, so that
 * the socket's retry loop cannot die of a probe.
 */
export async function answersHealth(options: {
  healthUrl: string;
  fetch: typeof globalThis.fetch;
  connectTimeoutMs: number;
}): Promise<boolean> {
  try {
    const response = await options.fetch(options.healthUrl, {
      cache: "no-store",
      signal: AbortSignal.timeout(options.connectTimeoutMs),
    });
    response.body?.cancel().catch(() => {});
    return response.ok;
  } catch {
    return false;
  }
}
