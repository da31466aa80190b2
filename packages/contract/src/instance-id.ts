/** An instance id: 128 random bits as 32 lowercase hex characters. */
export const INSTANCE_ID_PATTERN = /^[0-9a-f]{32}$/;

/**
 * Whether `value` is an instance id. Every name a driver derives from an id (a folder, a
 * container, a Fly app) relies on this check, so it is the only one.
 *
 * @example
 * isInstanceId("0123456789abcdef0123456789abcdef"); // true
 */
export const isInstanceId = (value: unknown): value is string =>
  typeof value === "string" && INSTANCE_ID_PATTERN.test(value);

/**
 * Throws a `TypeError` (caller misuse) unless `value` is an instance id.
 *
 * @example
 * assertInstanceId(id); // before any path or platform name is built from it
 */
export function assertInstanceId(value: unknown): asserts value is string {
  if (!isInstanceId(value)) throw new TypeError("not an instance id (32 lowercase hex characters)");
}
