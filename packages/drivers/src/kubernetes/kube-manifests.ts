import { createHash } from "node:crypto";
import type {
  V1ConfigMap,
  V1Deployment,
  V1Ingress,
  V1ObjectMeta,
  V1OwnerReference,
  V1ResourceRequirements,
  V1Secret,
  V1Service,
} from "@kubernetes/client-node";
import type { DestroyReason, InstanceSpec, SecretEnv } from "../driver.ts";
import { instanceRecord } from "../instance-record.ts";
import { fillPlaceholders, type Template } from "../template.ts";

/**
 * Labels: what lists select on. Values are short and from a fixed alphabet (a label cannot
 * hold an arbitrary string), so the owner is there only as a hash.
 */
export const LABELS = {
  managedBy: "app.kubernetes.io/managed-by",
  id: "launcher.id",
  /** The first 40 hex characters of SHA-256 of the owner's name. */
  ownerHash: "launcher.owner-hash",
  template: "launcher.template",
  /** On tombstones only. */
  destroyed: "launcher.destroyed",
} as const;

/** Annotations: what the launcher records on the Deployment (and tombstone). No secret. */
export const ANNOTATIONS = {
  owner: "launcher.owner",
  template: "launcher.template",
  /** ISO 8601. */
  createdAt: "launcher.created-at",
  /** ISO 8601. */
  expiresAt: "launcher.expires-at",
  timeout: "launcher.timeout",
  url: "launcher.url",
  /** Set by `ensure` when the instance first passed its readiness probe. */
  ready: "launcher.ready",
  /** Set by `recordFailure`: why the launch failed. */
  failed: "launcher.failed",
  /** On tombstones: `destroyed` or `expired`. */
  reason: "launcher.reason",
} as const;

export const MANAGED_BY = "launcher";
/** Selects every object this launcher manages. */
export const MANAGED_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY}`;

/** The label value that stands for an owner (labels cannot hold the name itself). */
export const ownerHash = (owner: string): string =>
  createHash("sha256").update(owner).digest("hex").slice(0, 40);

/** Names and selectors of one instance's objects. */
export function namesFor(prefix: string, id: string) {
  const name = `${prefix}-${id}`;
  return {
    name,
    tombstone: `${name}-destroyed`,
    selector: `${MANAGED_SELECTOR},${LABELS.id}=${id}`,
    /** The labels that pick the instance's pods (a Deployment's selector never changes). */
    podSelector: { [LABELS.managedBy]: MANAGED_BY, [LABELS.id]: id },
  };
}

export interface ManifestOptions {
  prefix: string;
  namespace: string;
  ingressHost?: string;
  ingressClassName?: string;
}

function instanceUrl(options: ManifestOptions, id: string, port: number, urlPath: string): string {
  if (options.ingressHost) {
    return `https://${fillPlaceholders(options.ingressHost, { id })}${urlPath}`;
  }
  const host = `${options.prefix}-${id}.${options.namespace}.svc.cluster.local`;
  return `http://${host}${port === 80 ? "" : `:${port}`}${urlPath}`;
}

/** Requests and limits from the template's resources (equal, so the pod is "Guaranteed"). */
export function resourcesFor(template: Template): V1ResourceRequirements | undefined {
  const { cpus, memoryMiB } = template.resources ?? {};
  const amounts: Record<string, string> = {};
  if (cpus !== undefined) amounts.cpu = `${Math.max(1, Math.round(cpus * 1000))}m`;
  if (memoryMiB !== undefined) amounts.memory = `${memoryMiB}Mi`;
  if (Object.keys(amounts).length === 0) return undefined;
  return { requests: amounts, limits: { ...amounts } };
}

/**
 * The parent of everything: a Deployment that starts with no replica. Its children are made
 * owned by it and only then is it scaled to one, so a crash at any point leaves nothing that
 * one delete of the parent would not remove. The container runs as a non-root user, without
 * privilege escalation or any capability, with the secrets only through `secretKeyRef`.
 * (Kubernetes has no per-pod process limit: a template's `pids` is the node's business.)
 */
export function deploymentFor(
  spec: InstanceSpec,
  secretNames: ReadonlySet<string>,
  options: ManifestOptions,
): V1Deployment {
  const container = spec.template.drivers.kubernetes!;
  const { id } = spec;
  const { name, podSelector } = namesFor(options.prefix, id);
  const vars = { id };
  const labels = labelsFor(spec);
  const resources = resourcesFor(spec.template);
  return {
    metadata: {
      name,
      labels,
      annotations: {
        ...instanceRecord(ANNOTATIONS, spec),
        [ANNOTATIONS.timeout]: String(container.timeout),
        [ANNOTATIONS.url]: instanceUrl(
          options,
          id,
          container.port,
          fillPlaceholders(container.urlPath, vars),
        ),
      },
    },
    spec: {
      replicas: 0,
      strategy: { type: "Recreate" },
      selector: { matchLabels: podSelector },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "app",
              image: container.image,
              ...(container.command
                ? { args: container.command.map((c) => fillPlaceholders(c, vars)) }
                : {}),
              ports: [{ name: "http", containerPort: container.port }],
              env: [
                ...Object.entries(container.env)
                  .filter(([envName]) => !secretNames.has(envName))
                  .map(([envName, value]) => ({
                    name: envName,
                    value: fillPlaceholders(value, vars),
                  })),
                ...[...secretNames].map((envName) => ({
                  name: envName,
                  valueFrom: { secretKeyRef: { name, key: envName } },
                })),
              ],
              ...(resources ? { resources } : {}),
              securityContext: {
                runAsNonRoot: true,
                allowPrivilegeEscalation: false,
                capabilities: { drop: ["ALL"] },
              },
              readinessProbe: {
                httpGet: {
                  path: fillPlaceholders(container.healthPath, vars),
                  port: container.port,
                },
                periodSeconds: 5,
                failureThreshold: 3,
              },
            },
          ],
        },
      },
    },
  };
}

/** The labels on every object of an instance. */
export function labelsFor(spec: InstanceSpec): Record<string, string> {
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.id]: spec.id,
    [LABELS.ownerHash]: ownerHash(spec.owner),
    [LABELS.template]: spec.template.id,
  };
}

/** The Secret, Service and (with an ingress host) Ingress, each owned by the Deployment. */
export function childrenFor(
  spec: InstanceSpec,
  env: SecretEnv,
  parent: V1Deployment,
  options: ManifestOptions,
): { secret: V1Secret; service: V1Service; ingress?: V1Ingress } {
  const { name, podSelector } = namesFor(options.prefix, spec.id);
  const port = spec.template.drivers.kubernetes!.port;
  const owner: V1OwnerReference = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    name,
    uid: parent.metadata!.uid!,
    blockOwnerDeletion: true,
  };
  const metadata: V1ObjectMeta = { name, labels: labelsFor(spec), ownerReferences: [owner] };
  const secret: V1Secret = { metadata, type: "Opaque", stringData: { ...env } };
  const service: V1Service = {
    metadata,
    spec: { selector: podSelector, ports: [{ name: "http", port, targetPort: port }] },
  };
  if (!options.ingressHost) return { secret, service };
  const ingress: V1Ingress = {
    metadata,
    spec: {
      ...(options.ingressClassName ? { ingressClassName: options.ingressClassName } : {}),
      rules: [
        {
          host: fillPlaceholders(options.ingressHost, { id: spec.id }),
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name, port: { number: port } } },
              },
            ],
          },
        },
      ],
    },
  };
  return { secret, service, ingress };
}

/** The tombstone: a ConfigMap with no secret, written before any teardown. */
export function tombstoneFor(prefix: string, id: string, reason: DestroyReason): V1ConfigMap {
  const { tombstone } = namesFor(prefix, id);
  const destroyedAt = new Date().toISOString();
  return {
    metadata: {
      name: tombstone,
      labels: { [LABELS.managedBy]: MANAGED_BY, [LABELS.id]: id, [LABELS.destroyed]: "true" },
      annotations: { [ANNOTATIONS.reason]: reason },
    },
    data: { reason, destroyedAt },
  };
}
