import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Pod } from "kubernetes-models/v1/Pod";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import {
  type Cause,
  configKeys,
  deploymentRules,
  immutableRules,
  ingressRules,
  metadataRules,
  serviceRules,
} from "./fake-kube-rules.ts";

/**
 * How the fake API server (`fake-kube.ts`) judges an object sent to it, in the apiserver's own
 * order and with its answers:
 *
 * 1. Decoding: `apiVersion`/`kind`, when given, must be the resource's, and every field must
 *    have its schema's type and format (an int, a quantity, a date…). The schema is the
 *    Kubernetes OpenAPI schema as `kubernetes-models` ships it, checked with its `validate()`.
 *    A failure is 400 `BadRequest` ("… cannot be handled as a Deployment"), as a field the Go
 *    decoder cannot read is.
 * 2. Validation: what else the schema requires (required fields, enums), then the apiserver's
 *    rules (`fake-kube-rules.ts`): 422 `Invalid` with `details.causes`, one per field.
 *
 * Unknown fields pass: the apiserver drops them (its default field validation only warns).
 */
export interface KubeRefusal {
  code: 400 | 422;
  status: Record<string, unknown>;
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

type Json = Record<string, unknown>;
type ModelClass = new (data: never) => { validate(): void };

const kindOf = (group: string, version: string, kind: string, model: ModelClass) => ({
  group,
  version,
  apiVersion: group ? `${group}/${version}` : version,
  kind,
  model,
});

/** The resources the fake serves: their group, version, kind and `kubernetes-models` class. */
export const KINDS: Record<string, ReturnType<typeof kindOf>> = {
  configmaps: kindOf("", "v1", "ConfigMap", ConfigMap as ModelClass),
  secrets: kindOf("", "v1", "Secret", Secret as ModelClass),
  services: kindOf("", "v1", "Service", Service as ModelClass),
  pods: kindOf("", "v1", "Pod", Pod as ModelClass),
  deployments: kindOf("apps", "v1", "Deployment", Deployment as ModelClass),
  ingresses: kindOf("networking.k8s.io", "v1", "Ingress", Ingress as ModelClass),
};

/** `/spec/template/spec/containers/0/name` → `spec.template.spec.containers[0].name`. */
function fieldPath(pointer: string): string {
  return pointer
    .split("/")
    .slice(1)
    .map((raw) => raw.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce((path, part) => {
      if (/^\d+$/.test(part)) return `${path}[${part}]`;
      if (!/^[A-Za-z_$][\w$]*$/.test(part)) return `${path}[${part}]`;
      return path ? `${path}.${part}` : part;
    }, "");
}

/** Runs the `kubernetes-models` schema validation; its errors, or none. */
function schemaErrors(model: ModelClass, obj: Json): AjvError[] {
  try {
    new model(structuredClone(obj) as never).validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: AjvError[] }).errors;
    if (!errors) throw error;
    return errors;
  }
}

const DECODING = new Set(["type", "format", "oneOf", "anyOf"]);

function causeOf(error: AjvError, obj: Json): Cause {
  const field = fieldPath(error.instancePath);
  if (error.keyword === "required") {
    const missing = String(error.params.missingProperty);
    return {
      reason: "FieldValueRequired",
      message: "Required value",
      field: field ? `${field}.${missing}` : missing,
    };
  }
  const value = error.instancePath
    .split("/")
    .slice(1)
    .reduce<unknown>((o, k) => (o as Json | undefined)?.[k.replaceAll("~1", "/")], obj);
  if (error.keyword === "enum") {
    const allowed = (error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
    return {
      reason: "FieldValueNotSupported",
      message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${allowed.join(", ")}`,
      field,
    };
  }
  return {
    reason: "FieldValueInvalid",
    message: `Invalid value: ${JSON.stringify(value)}: ${error.message ?? error.keyword}`,
    field,
  };
}

function failure(code: 400 | 422, reason: string, message: string, details?: Json): KubeRefusal {
  return {
    code,
    status: {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    },
  };
}

/**
 * Judges an object POSTed (`current` absent) or PUT (`current` the stored one) to `resource`
 * in `namespace` (and, for a PUT, at URL name `urlName`): a refusal shaped as the apiserver's
 * `Status`, or `undefined` when the real API would accept it.
 *
 * @example
 * const refusal = validateKubeObject("deployments", body, { namespace: "launcher" });
 * if (refusal) return json(res, refusal.code, refusal.status);
 */
export function validateKubeObject(
  resource: string,
  obj: Json,
  request: { namespace: string; urlName?: string; current?: Json },
): KubeRefusal | undefined {
  const { group, version, apiVersion, kind, model } = KINDS[resource]!;
  const qualified = group ? `${kind}.${group}` : kind;
  const metadata = (obj.metadata ?? {}) as Json;
  const name = String(metadata.name ?? "");
  const cannotHandle = (detail: string) =>
    failure(
      400,
      "BadRequest",
      `${kind} in version "${version}" cannot be handled as a ${kind}: ${detail}`,
    );

  if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion) {
    return cannotHandle(
      `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersion})`,
    );
  }
  if (obj.kind !== undefined && obj.kind !== kind) {
    return cannotHandle(
      `the kind in the data (${String(obj.kind)}) does not match the expected kind (${kind})`,
    );
  }
  if (metadata.namespace !== undefined && metadata.namespace !== request.namespace) {
    return failure(
      400,
      "BadRequest",
      "the namespace of the provided object does not match the namespace sent on the request",
    );
  }
  if (request.urlName !== undefined && name !== request.urlName) {
    return failure(
      400,
      "BadRequest",
      `the name of the object (${name}) does not match the name on the URL (${request.urlName})`,
    );
  }

  const errors = schemaErrors(model, obj);
  const decoding = errors.find((e) => DECODING.has(e.keyword));
  if (decoding) {
    return cannotHandle(`${fieldPath(decoding.instancePath)}: ${decoding.message ?? "invalid"}`);
  }

  const causes: Cause[] = [
    ...errors.map((e) => causeOf(e, obj)),
    ...metadataRules(metadata, resource === "services"),
    ...(resource === "configmaps" ? configKeys("data", obj.data) : []),
    ...(resource === "secrets"
      ? [...configKeys("data", obj.data), ...configKeys("stringData", obj.stringData)]
      : []),
    ...(resource === "deployments" ? deploymentRules(obj) : []),
    ...(resource === "services" ? serviceRules(obj) : []),
    ...(resource === "ingresses" ? ingressRules(obj) : []),
    ...(request.current ? immutableRules(resource, obj, request.current) : []),
  ];
  if (causes.length === 0) return undefined;
  const listed = causes.map((c) => `${c.field}: ${c.message}`);
  return failure(
    422,
    "Invalid",
    `${qualified} "${name}" is invalid: ${listed.length === 1 ? listed[0] : `[${listed.join(", ")}]`}`,
    { name, group, kind, causes },
  );
}
