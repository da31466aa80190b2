/**
 * Probes an instance's health URL once. Returns the HTTP status, or `undefined` when
 * nothing answered in time. Redirects are not followed: a login redirect is an answer.
 */
export async function probeHealth(url: string, timeoutMs = 2000): Promise<number | undefined> {
  try {
    const response = await fetch(url, {
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return response.status;
  } catch {
    return undefined;
  }
}
