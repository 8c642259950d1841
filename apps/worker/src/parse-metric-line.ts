import { MetricLine } from "@bayestune/protocol";

/** One validated metric line of a training script's stdout. */
export interface ParsedMetricLine {
  step?: number;
  final: boolean;
  checkpoint?: string;
  /** Every metric of the line; NaN and ±Infinity are held as null. */
  metrics: Record<string, number | null>;
  /** Metrics that were NaN or ±Infinity, with their spelling, for the failure message. */
  nonFinite: Record<string, string>;
}

const RESERVED_KEYS = new Set(["step", "final", "checkpoint"]);
const NON_FINITE_TOKENS = ["-Infinity", "Infinity", "NaN"] as const;
const NON_FINITE_MARKER = "\u0000bayestune-non-finite:";

/**
 * Reads one stdout line as a {@link MetricLine}, or undefined when it is the script's
 * own output (not JSON, not an object, or not a valid metric line).
 *
 * Python's `json.dumps` writes a NaN loss as the bare token `NaN` (and `Infinity`,
 * `-Infinity`), which JSON.parse rejects; such lines are read too, because a diverged
 * run must fail as `non-finite-metric`, not as a missing metric.
 */
export function parseMetricLine(text: string): ParsedMetricLine | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{")) return undefined;
  const raw = parseJsonAllowingNonFinite(trimmed);
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return undefined;

  // Every line of a script that reports each step passes here (millions of them), so the
  // parsed object is edited in place and read with for-in: no entries arrays, no copies.
  const fields = raw as Record<string, unknown>;
  const nonFinite: Record<string, string> = {};
  for (const key in fields) {
    const value = fields[key];
    if (typeof value === "number" && !Number.isFinite(value)) {
      nonFinite[key] = String(value);
      fields[key] = null;
    }
  }
  const parsed = MetricLine.safeParse(fields);
  if (!parsed.success) return undefined;

  const metrics: Record<string, number | null> = {};
  for (const key in parsed.data) {
    if (!RESERVED_KEYS.has(key)) metrics[key] = parsed.data[key] as number | null;
  }
  const line: ParsedMetricLine = { final: parsed.data.final === true, metrics, nonFinite };
  if (parsed.data.step !== undefined) line.step = parsed.data.step;
  if (parsed.data.checkpoint !== undefined) line.checkpoint = parsed.data.checkpoint;
  return line;
}

function parseJsonAllowingNonFinite(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    if (!/NaN|Infinity/.test(text)) return undefined;
  }
  try {
    return JSON.parse(quoteNonFiniteTokens(text), (_key, value: unknown) =>
      typeof value === "string" && value.startsWith(NON_FINITE_MARKER)
        ? Number(value.slice(NON_FINITE_MARKER.length))
        : value,
    );
  } catch {
    return undefined;
  }
}

/** Replaces bare NaN / Infinity / -Infinity outside strings by marked strings that JSON.parse accepts. */
function quoteNonFiniteTokens(text: string): string {
  let out = "";
  let inString = false;
  let i = 0;
  while (i < text.length) {
    const char = text[i] ?? "";
    if (inString) {
      if (char === "\\") {
        out += text.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (char === '"') inString = false;
      out += char;
      i += 1;
      continue;
    }
    if (char === '"') {
      inString = true;
      out += char;
      i += 1;
      continue;
    }
    const token = NON_FINITE_TOKENS.find((candidate) => text.startsWith(candidate, i));
    if (token !== undefined) {
      out += JSON.stringify(NON_FINITE_MARKER + token);
      i += token.length;
      continue;
    }
    out += char;
    i += 1;
  }
  return out;
}
