import type {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObject,
  NetworkingV1Api,
  V1Deployment,
  Watch,
} from "@kubernetes/client-node";
import { DriverError } from "../driver.ts";
import { parseRetryAfter, type RetryOptions, retryDelay, sleep } from "../retry.ts";

export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  net: NetworkingV1Api;
  watch: Watch;
}

// The client library is about 70 MiB of a server's memory: it is loaded on first use, so a
// launcher that never talks to a cluster never pays for it.
let clientLibrary: typeof import("@kubernetes/client-node") | undefined;
export async function loadClientLibrary() {
  clientLibrary ??= await import("@kubernetes/client-node");
  return clientLibrary;
}

/** Only the library throws these, so it is loaded by the time one is caught. */
function isApiException(error: unknown): error is ApiException<unknown> {
  return clientLibrary !== undefined && error instanceof clientLibrary.ApiException;
}

/** The HTTP status of a failed API call, if the API server answered. */
export const statusOf = (error: unknown): number | undefined =>
  isApiException(error) ? error.code : undefined;

/** Why the API server refused an object, from its `Status`: each field and what is wrong. */
function refusedAsInvalid(what: string, error: unknown): DriverError {
  let status: { details?: { causes?: { field?: string; reason?: string }[] } } = {};
  try {
    const body = isApiException(error) ? error.body : undefined;
    status = typeof body === "string" ? JSON.parse(body) : ((body as typeof status) ?? {});
  } catch {}
  // Field names and the kind of problem only: the apiserver's messages quote the values sent.
  const fields = (status.details?.causes ?? [])
    .map((cause) => `${cause.field ?? "?"}: ${INVALID_REASONS[cause.reason ?? ""] ?? "invalid"}`)
    .slice(0, 5);
  return new DriverError(
    "bad_spec",
    `The Kubernetes API refused to ${what}: the object is invalid${fields.length ? ` (${fields.join("; ")})` : ""}`,
  );
}

const INVALID_REASONS: Record<string, string> = {
  FieldValueRequired: "required value",
  FieldValueInvalid: "invalid value",
  FieldValueNotSupported: "unsupported value",
  FieldValueTooLong: "too long",
  FieldValueTooMany: "too many items",
  FieldValueDuplicate: "duplicate value",
  FieldValueForbidden: "forbidden",
};

/**
 * A thin layer over the client library: clients made once (from the given kubeconfig or the
 * usual places), every call retried on 429/5xx and dropped connections with backoff, 401/403
 * turned into a "refused" DriverError, 400/422 (an object the API server finds invalid) into
 * "bad_spec", 404 and 409 left to the callers, which decide.
 */
export function createKubeApi(options: { kubeConfig?: KubeConfig; retry: Required<RetryOptions> }) {
  const { retry } = options;
  let clients: Promise<KubeClients> | undefined;

  const connect = async (): Promise<KubeClients> => {
    const k8s = await loadClientLibrary();
    const kc = options.kubeConfig ?? new k8s.KubeConfig();
    if (!options.kubeConfig) kc.loadFromDefault();
    return {
      kc,
      core: kc.makeApiClient(k8s.CoreV1Api),
      apps: kc.makeApiClient(k8s.AppsV1Api),
      net: kc.makeApiClient(k8s.NetworkingV1Api),
      watch: new k8s.Watch(kc),
    };
  };
  const api = (): Promise<KubeClients> => {
    clients ??= connect().catch((error) => {
      clients = undefined;
      throw error;
    });
    return clients;
  };

  /** One API call, retried on 429/5xx and dropped connections; 401/403 become "refused". */
  async function call<T>(
    what: string,
    fn: (c: KubeClients) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const c = await api();
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(c);
      } catch (error) {
        const code = statusOf(error);
        if (code === 401 || code === 403) {
          throw new DriverError("refused", `Kubernetes refused the credentials (${what})`);
        }
        if (code === 400 || code === 422) throw refusedAsInvalid(what, error);
        const transient = code === undefined || code === 429 || code >= 500;
        if (!transient) throw error; // 404, 409…: the callers decide
        if (attempt >= retry.retries) {
          // Out of retries: a driver error, so followers hear "unavailable", not silence.
          throw code === undefined
            ? new DriverError("unavailable", `The Kubernetes API could not be reached (${what})`, {
                cause: error,
              })
            : new DriverError("platform", `The Kubernetes API answered ${code} (${what})`, {
                cause: error,
              });
        }
        const headers = isApiException(error) ? error.headers : {};
        await sleep(retryDelay(attempt, retry, parseRetryAfter(headers?.["retry-after"])), signal);
      }
    }
  }

  /** The object, or `undefined` on 404 (also for a delete of what is gone already). */
  async function read<T>(
    what: string,
    fn: (c: KubeClients) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T | undefined> {
    try {
      return await call(what, fn, signal);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Creates an object; 409 AlreadyExists means another launcher got there first: read it. */
  async function createOrRead<T>(
    what: string,
    create: (c: KubeClients) => Promise<T>,
    get: (c: KubeClients) => Promise<T>,
  ): Promise<T> {
    try {
      return await call(what, create);
    } catch (error) {
      if (statusOf(error) === 409) return call(what, get);
      throw error;
    }
  }

  /**
   * Changes a Deployment with optimistic concurrency: `change` edits the object read and says
   * whether to write it; a 409 Conflict (someone wrote meanwhile) reads again and retries.
   * Returns whether a change was written.
   */
  async function updateDeployment(
    namespace: string,
    name: string,
    change: (d: V1Deployment) => boolean,
  ): Promise<boolean> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await read("read deployment", (c) =>
        c.apps.readNamespacedDeployment({ name, namespace }),
      );
      if (!current || current.metadata?.deletionTimestamp || !change(current)) return false;
      try {
        await call("update deployment", (c) =>
          c.apps.replaceNamespacedDeployment({ name, namespace, body: current }),
        );
        return true;
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
      }
    }
    throw new DriverError("platform", `The Deployment ${name} kept changing; try again`);
  }

  /**
   * Watches a collection for changes as a change feed: calls `wake` on every event, resumes
   * from the last resourceVersion when the stream ends, and starts afresh after 410 Gone
   * (that version was compacted away). Returns how to stop.
   */
  function watchChanges(options: {
    path: string;
    labelSelector: string;
    timeoutSeconds: number;
    wake: () => void;
  }): () => void {
    const stop = new AbortController();
    let current: AbortController | undefined;
    // One listener for the feed's life, not one per reconnect.
    stop.signal.addEventListener("abort", () => current?.abort(), { once: true });
    void (async () => {
      let resourceVersion: string | undefined;
      while (!stop.signal.aborted) {
        let gone = false;
        const ended = await new Promise<(Error & { statusCode?: number }) | null>((resolve) => {
          api()
            .then((c) =>
              c.watch.watch(
                options.path,
                {
                  labelSelector: options.labelSelector,
                  allowWatchBookmarks: true,
                  timeoutSeconds: options.timeoutSeconds,
                  ...(resourceVersion ? { resourceVersion } : {}),
                },
                (type, object: KubernetesObject & { code?: number }) => {
                  if (type === "ERROR") {
                    if (object.code === 410) gone = true;
                    return;
                  }
                  resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
                  if (type !== "BOOKMARK") options.wake();
                },
                (error) => resolve(error ?? null),
              ),
            )
            .then(
              (controller) => {
                current = controller;
                if (stop.signal.aborted) controller.abort();
              },
              (error: Error) => resolve(error),
            );
        });
        if (stop.signal.aborted) return;
        if (gone || ended?.statusCode === 410) resourceVersion = undefined;
        else if (ended) await sleep(retryDelay(0, retry), stop.signal).catch(() => {});
      }
    })();
    return () => stop.abort();
  }

  return { api, call, read, createOrRead, updateDeployment, watchChanges };
}

export type KubeApi = ReturnType<typeof createKubeApi>;
