/** A decoded parameter value: a float or int as a plain number, or one of a categorical's choices. */
export type ParamValue = number | string | boolean | null;

/** One configuration of the space: parameter name → decoded value. */
export type Params = Record<string, ParamValue>;

/** A received value as it would be written in JSON, so that "1" and 1 look different in messages. */
export function formatValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "number") return String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function" || typeof value === "symbol") return typeof value;
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
