import { ConfigError } from "@bayestune/coordinator";

/** The integer a flag's text spells, within [min, max]; anything else is the user's to fix. */
export function integerFlag(flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new ConfigError(`${flag} must be an integer ${range}, got ${JSON.stringify(text)}`);
  }
  return value;
}
