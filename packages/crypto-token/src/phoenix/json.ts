/** A value with a JSON form: what a Phoenix token's data maps to and from. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };
