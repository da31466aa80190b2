import type { InstanceInfo, InstanceSpec, Phase } from "./driver.ts";

/**
 * Where a platform keeps what `list` reads of an instance (metadata keys, annotations): its
 * owner, its template and its lifetime. Each driver names its own keys.
 */
export interface RecordKeys {
  owner: string;
  template: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601. */
  expiresAt: string;
}

/**
 * What `ensure` records about an instance on its platform, under the driver's keys. No secret.
 *
 * @example
 * metadata: { [META.id]: spec.id, ...instanceRecord(META, spec) }
 */
export function instanceRecord(keys: RecordKeys, spec: InstanceSpec): Record<string, string> {
  return {
    [keys.owner]: spec.owner,
    [keys.template]: spec.template.id,
    [keys.createdAt]: new Date(spec.createdAt).toISOString(),
    [keys.expiresAt]: new Date(spec.expiresAt).toISOString(),
  };
}

const epochMs = (iso: string | undefined): number => {
  const ms = Date.parse(iso ?? "");
  return Number.isFinite(ms) ? ms : 0;
};

/**
 * How `list` shows an instance, from the record `ensure` left; `undefined` where there is none
 * (not an instance of this launcher) and once the instance is destroyed.
 *
 * @example
 * return listedInstance({ id, record: deployment.metadata.annotations, keys: ANNOTATIONS, phase });
 */
export function listedInstance(options: {
  id: string | undefined;
  record: Readonly<Record<string, string>> | undefined;
  keys: RecordKeys;
  /** The instance's phase now (read only for a record). */
  phase: () => Phase;
  /** When the platform made it (epoch ms), for a record without its own time. */
  madeAt?: number;
}): InstanceInfo | undefined {
  const { id, record, keys } = options;
  const owner = record?.[keys.owner];
  if (!id || !record || owner === undefined) return undefined;
  const phase = options.phase();
  if (phase === "destroyed") return undefined;
  return {
    id,
    owner,
    template: record[keys.template] ?? "",
    phase,
    createdAt: epochMs(record[keys.createdAt]) || (options.madeAt ?? 0),
    expiresAt: epochMs(record[keys.expiresAt]),
  };
}
