import { readFile } from "node:fs/promises";
import OpenAI from "openai";
import { ConfigError } from "@bayestune/coordinator";
import { score, type ScoringRule } from "./scoring.js";

/** One prompt of the evaluation set, with what a good answer looks like. */
export interface PromptCase {
  readonly prompt: string;
  readonly reference: string;
}

/** The OpenAI sampling parameters a trial tunes; absent ones take the endpoint's defaults. */
export interface SamplingParams {
  readonly temperature?: number;
  readonly top_p?: number;
  readonly max_tokens?: number;
  readonly frequency_penalty?: number;
  readonly presence_penalty?: number;
}

const SAMPLING_KEYS = ["temperature", "top_p", "max_tokens", "frequency_penalty", "presence_penalty"] as const;

/** Reads a JSON-lines file of {"prompt", "reference"} objects; a bad line is a ConfigError naming it. */
export async function loadPrompts(file: string): Promise<PromptCase[]> {
  const text = await readFile(file, "utf8").catch((error: Error) => {
    throw new ConfigError(`cannot read the prompts file ${file}: ${error.message}`);
  });
  const cases = text.split("\n").flatMap((line, i) => {
    if (line.trim() === "") return [];
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new ConfigError(`${file}:${i + 1}: each line must be a JSON object {"prompt", "reference"}`);
    }
    const { prompt, reference } = (value ?? {}) as Record<string, unknown>;
    if (typeof prompt !== "string" || typeof reference !== "string") throw new ConfigError(`${file}:${i + 1}: "prompt" and "reference" must be strings`);
    return [{ prompt, reference }];
  });
  if (cases.length === 0) throw new ConfigError(`the prompts file ${file} holds no prompts`);
  return cases;
}

/** The sampling parameters among a trial's params (numbers only; other params are ignored). */
export function samplingParams(params: Readonly<Record<string, unknown>>): SamplingParams {
  const sampling: Record<string, number> = {};
  for (const key of SAMPLING_KEYS) {
    const value = params[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value)) throw new ConfigError(`param ${key} must be a number, got ${JSON.stringify(value)}`);
    sampling[key] = key === "max_tokens" ? Math.round(value) : value;
  }
  return sampling;
}

export interface EndpointEvaluation {
  /** Mean score per repeat, each over every prompt. */
  readonly repeats: number[];
  readonly mean: number;
  /** Sample standard deviation over the repeats (0 for one repeat). */
  readonly std: number;
}

/**
 * Scores one configuration of sampling parameters: every prompt, `repeats`
 * times (generation is random, so one pass says little), against an
 * OpenAI-compatible chat/completions endpoint. `onRepeat` hears each repeat's mean.
 */
export async function evaluateEndpoint(options: {
  client: OpenAI;
  model: string;
  prompts: readonly PromptCase[];
  rule: ScoringRule;
  repeats: number;
  sampling: SamplingParams;
  onRepeat?: (repeat: number, mean: number) => void;
}): Promise<EndpointEvaluation> {
  const repeats: number[] = [];
  for (let r = 0; r < options.repeats; r++) {
    let total = 0;
    for (const { prompt, reference } of options.prompts) {
      const response = await options.client.chat.completions.create({ model: options.model, messages: [{ role: "user", content: prompt }], ...options.sampling });
      total += await score(options.rule, response.choices[0]?.message.content ?? "", prompt, reference);
    }
    repeats.push(total / options.prompts.length);
    options.onRepeat?.(r + 1, repeats.at(-1)!);
  }
  const mean = repeats.reduce((a, b) => a + b, 0) / repeats.length;
  const std = repeats.length < 2 ? 0 : Math.sqrt(repeats.reduce((a, b) => a + (b - mean) ** 2, 0) / (repeats.length - 1));
  return { repeats, mean, std };
}
