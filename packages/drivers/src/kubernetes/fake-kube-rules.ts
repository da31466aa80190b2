/**
 * The checks the Kubernetes API server makes beyond the OpenAPI schema (the schema part is
 * `kubernetes-models`' validation, in `fake-kube-validate.ts`), for the kinds the Kubernetes
 * driver sends: object and container names, labels and selectors, annotations, ConfigMap and
 * Secret keys, ports, env var names, a Deployment's selector against its pod template, the
 * Ingress's host and paths, and the fields an update may not change. Each rule is the
 * apiserver's own (`k8s.io/apimachinery/pkg/util/validation`, `pkg/apis/core/validation`),
 * with its message, so a refusal reads as the real one does; only what the driver can send is
 * covered, and an object that passes here and in the schema is one the real API accepts.
 */
export interface Cause {
  reason:
    | "FieldValueRequired"
    | "FieldValueInvalid"
    | "FieldValueNotSupported"
    | "FieldValueTooLong"
    | "FieldValueDuplicate"
    | "FieldValueForbidden";
  message: string;
  field: string;
}

type Json = Record<string, unknown>;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;
/** The apiserver's limit on all of an object's annotations together. */
const ANNOTATIONS_MAX_BYTES = 256 * 1024;

const invalid = (field: string, value: unknown, detail: string): Cause => ({
  reason: "FieldValueInvalid",
  message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
  field,
});
const required = (field: string): Cause => ({
  reason: "FieldValueRequired",
  message: "Required value",
  field,
});

function dnsSubdomain(field: string, value: string): Cause[] {
  if (value.length > 253) return [invalid(field, value, "must be no more than 253 characters")];
  if (DNS1123_SUBDOMAIN.test(value)) return [];
  return [
    invalid(
      field,
      value,
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
    ),
  ];
}

function dnsLabel(field: string, value: string, rfc1035 = false): Cause[] {
  if (value.length > 63) return [invalid(field, value, "must be no more than 63 characters")];
  if ((rfc1035 ? DNS1035_LABEL : DNS1123_LABEL).test(value)) return [];
  return [
    invalid(
      field,
      value,
      rfc1035
        ? "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"
        : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
    ),
  ];
}

/** A label or annotation key: an optional DNS subdomain prefix and `/`, then a name ≤ 63. */
function qualifiedName(field: string, key: string): Cause[] {
  const parts = key.split("/");
  const name = parts.at(-1)!;
  const prefixCauses = parts.length === 2 ? dnsSubdomain(field, parts[0]!) : [];
  if (parts.length > 2 || name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return [
      invalid(
        field,
        key,
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63 characters), with an optional DNS subdomain prefix and '/'",
      ),
    ];
  }
  return prefixCauses;
}

function labels(field: string, map: unknown): Cause[] {
  if (!map || typeof map !== "object") return [];
  return Object.entries(map as Record<string, string>).flatMap(([key, value]) => [
    ...qualifiedName(field, key),
    ...(value.length <= 63 && LABEL_VALUE.test(value)
      ? []
      : [
          invalid(
            field,
            value,
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63 characters)",
          ),
        ]),
  ]);
}

function annotations(field: string, map: unknown): Cause[] {
  if (!map || typeof map !== "object") return [];
  const entries = Object.entries(map as Record<string, string>);
  const size = entries.reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  return [
    ...entries.flatMap(([key]) => qualifiedName(field, key)),
    ...(size > ANNOTATIONS_MAX_BYTES
      ? [
          {
            reason: "FieldValueTooLong" as const,
            message: `Too long: may not be more than ${ANNOTATIONS_MAX_BYTES} bytes`,
            field,
          },
        ]
      : []),
  ];
}

/** What every object's metadata must satisfy; `rfc1035` for kinds whose names are DNS labels. */
export function metadataRules(metadata: Json | undefined, rfc1035 = false): Cause[] {
  const name = metadata?.name;
  return [
    ...(typeof name !== "string" || name === ""
      ? [required("metadata.name")]
      : rfc1035
        ? dnsLabel("metadata.name", name, true)
        : dnsSubdomain("metadata.name", name)),
    ...labels("metadata.labels", metadata?.labels),
    ...annotations("metadata.annotations", metadata?.annotations),
  ];
}

/** ConfigMap `data` and Secret `data`/`stringData` keys. */
export function configKeys(field: string, map: unknown): Cause[] {
  if (!map || typeof map !== "object") return [];
  return Object.keys(map).flatMap((key) =>
    key.length <= 253 && CONFIG_KEY.test(key)
      ? []
      : [
          invalid(
            `${field}[${key}]`,
            key,
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
          ),
        ],
  );
}

function port(field: string, value: unknown): Cause[] {
  if (typeof value === "string") {
    return IANA_SVC_NAME.test(value) && /[a-z]/.test(value)
      ? []
      : [invalid(field, value, "must contain only alpha-numeric characters (a-z, 0-9) and '-'")];
  }
  return typeof value === "number" && value >= 1 && value <= 65535
    ? []
    : [invalid(field, value, "must be between 1 and 65535, inclusive")];
}

function container(field: string, c: Json): Cause[] {
  const ports = (c.ports ?? []) as Json[];
  const env = (c.env ?? []) as Json[];
  const probe = c.readinessProbe as Json | undefined;
  const get = probe?.httpGet as Json | undefined;
  return [
    ...(typeof c.name === "string" ? dnsLabel(`${field}.name`, c.name) : []),
    ...(c.image ? [] : [required(`${field}.image`)]),
    ...ports.flatMap((p, i) => [
      ...port(`${field}.ports[${i}].containerPort`, p.containerPort),
      ...(p.name === undefined ? [] : port(`${field}.ports[${i}].name`, p.name)),
    ]),
    ...env.flatMap((e, i) =>
      typeof e.name === "string" && ENV_VAR_NAME.test(e.name)
        ? []
        : [
            invalid(
              `${field}.env[${i}].name`,
              e.name,
              "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
            ),
          ],
    ),
    ...(get ? port(`${field}.readinessProbe.httpGet.port`, get.port) : []),
  ];
}

/** A Deployment: its pod template, and a selector that is set and selects that template. */
export function deploymentRules(deployment: Json): Cause[] {
  const spec = (deployment.spec ?? {}) as Json;
  const template = (spec.template ?? {}) as Json;
  const podLabels = ((template.metadata as Json | undefined)?.labels ?? {}) as Record<
    string,
    string
  >;
  const matchLabels = ((spec.selector as Json | undefined)?.matchLabels ?? {}) as Record<
    string,
    string
  >;
  const containers = ((template.spec as Json | undefined)?.containers ?? []) as Json[];
  const names = containers.map((c) => c.name);
  return [
    ...(Object.keys(matchLabels).length === 0
      ? [
          invalid(
            "spec.selector",
            spec.selector ?? null,
            "empty selector is invalid for deployment",
          ),
        ]
      : []),
    ...labels("spec.selector.matchLabels", matchLabels),
    ...labels("spec.template.metadata.labels", podLabels),
    ...(Object.entries(matchLabels).every(([k, v]) => podLabels[k] === v)
      ? []
      : [
          invalid(
            "spec.template.metadata.labels",
            podLabels,
            "`selector` does not match template `labels`",
          ),
        ]),
    ...(typeof spec.replicas === "number" && spec.replicas < 0
      ? [invalid("spec.replicas", spec.replicas, "must be greater than or equal to 0")]
      : []),
    ...(containers.length === 0 ? [required("spec.template.spec.containers")] : []),
    ...containers.flatMap((c, i) => container(`spec.template.spec.containers[${i}]`, c)),
    ...names.flatMap((name, i) =>
      names.indexOf(name) === i
        ? []
        : [
            {
              reason: "FieldValueDuplicate" as const,
              message: `Duplicate value: ${JSON.stringify(name)}`,
              field: `spec.template.spec.containers[${i}].name`,
            },
          ],
    ),
  ];
}

export function serviceRules(service: Json): Cause[] {
  const spec = (service.spec ?? {}) as Json;
  const ports = (spec.ports ?? []) as Json[];
  return [
    ...labels("spec.selector", spec.selector),
    ...(ports.length === 0 ? [required("spec.ports")] : []),
    ...ports.flatMap((p, i) => [
      ...port(`spec.ports[${i}].port`, p.port),
      ...(p.targetPort === undefined ? [] : port(`spec.ports[${i}].targetPort`, p.targetPort)),
      ...(p.name === undefined ? [] : dnsLabel(`spec.ports[${i}].name`, String(p.name))),
      ...(ports.length > 1 && !p.name ? [required(`spec.ports[${i}].name`)] : []),
    ]),
  ];
}

export function ingressRules(ingress: Json): Cause[] {
  const spec = (ingress.spec ?? {}) as Json;
  const rules = (spec.rules ?? []) as Json[];
  return [
    ...(typeof spec.ingressClassName === "string"
      ? dnsSubdomain("spec.ingressClassName", spec.ingressClassName)
      : []),
    ...rules.flatMap((rule, i) => {
      const paths = ((rule.http as Json | undefined)?.paths ?? []) as Json[];
      return [
        ...(typeof rule.host === "string"
          ? dnsSubdomain(`spec.rules[${i}].host`, rule.host.replace(/^\*\./, ""))
          : []),
        ...paths.flatMap((p, j) => {
          const field = `spec.rules[${i}].http.paths[${j}]`;
          const backend = ((p.backend as Json | undefined)?.service ?? {}) as Json;
          const number = (backend.port as Json | undefined)?.number;
          return [
            ...(typeof p.path === "string" && p.path.startsWith("/")
              ? []
              : [invalid(`${field}.path`, p.path ?? "", "must be an absolute path")]),
            ...(typeof backend.name === "string"
              ? dnsLabel(`${field}.backend.service.name`, backend.name, true)
              : []),
            ...(number === undefined ? [] : port(`${field}.backend.service.port.number`, number)),
          ];
        }),
      ];
    }),
  ];
}

/** An update may not change a Deployment's selector (the apiserver: "field is immutable"). */
export function immutableRules(resource: string, next: Json, current: Json): Cause[] {
  if (resource !== "deployments") return [];
  const selector = (o: Json) => (o.spec as Json | undefined)?.selector;
  if (JSON.stringify(selector(next)) === JSON.stringify(selector(current))) return [];
  return [invalid("spec.selector", selector(next) ?? null, "field is immutable")];
}
