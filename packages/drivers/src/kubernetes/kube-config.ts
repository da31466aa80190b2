import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Availability } from "../driver.ts";
import { type KubeApi, loadClientLibrary, statusOf } from "./kube-api.ts";

export const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/** Whether `KubeConfig.loadFromDefault` would find a configuration (its order, on Linux). */
export function hasKubeConfig(
  env: NodeJS.ProcessEnv = process.env,
  serviceAccountToken = SERVICE_ACCOUNT_TOKEN,
): boolean {
  if (env.KUBECONFIG) return true;
  if (env.HOME && existsSync(join(env.HOME, ".kube", "config"))) return true;
  return existsSync(serviceAccountToken);
}

/**
 * Can the cluster be used: asking the API server is the only way to know. Without a
 * kubeconfig the client library would fall back to http://localhost:8080 (a port Kubernetes
 * closed years ago): that case is answered here, without loading the library.
 */
export async function probeCluster(options: {
  api: KubeApi;
  namespace: string;
  configured: boolean;
}): Promise<Availability> {
  if (!options.configured && !hasKubeConfig()) {
    return {
      available: false,
      reason: "no kubeconfig (KUBECONFIG, ~/.kube/config or an in-cluster service account)",
    };
  }
  let kc: Awaited<ReturnType<KubeApi["api"]>>["kc"];
  try {
    kc = (await options.api.api()).kc;
  } catch (error) {
    return { available: false, reason: `no usable kubeconfig: ${(error as Error).message}` };
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) return { available: false, reason: "no Kubernetes cluster configured" };
  let timer: NodeJS.Timeout | undefined;
  try {
    const version = await Promise.race([
      kc.makeApiClient((await loadClientLibrary()).VersionApi).getCode(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("timeout")), 3000);
      }),
    ]);
    return {
      available: true,
      detail: `Kubernetes ${version.gitVersion}, namespace ${options.namespace}`,
    };
  } catch (error) {
    const code = statusOf(error);
    if (code === 401 || code === 403) {
      return { available: false, reason: "Kubernetes refused the credentials" };
    }
    return { available: false, reason: `the Kubernetes API at ${cluster.server} did not answer` };
  } finally {
    clearTimeout(timer);
  }
}
