import OpenAI from "openai";
import { ConfigError } from "@bayestune/coordinator";
import { CHILD_ENV } from "@bayestune/protocol";
import { evaluateEndpoint, loadPrompts, samplingParams } from "../endpoint/endpoint-trial.js";
import { parseScoringRule } from "../endpoint/scoring.js";
import { integerFlag } from "../integer-flag.js";

export interface EndpointTrialOptions {
  prompts: string;
  scoring: string;
  repeats: string;
  model: string;
  metric: string;
}

/**
 * `bayestune endpoint-trial`: one trial of sampling parameters against an
 * OpenAI-compatible endpoint, run as a study's command. It reads the trial's
 * params (temperature, top_p, max_tokens, frequency_penalty, presence_penalty)
 * from the worker's environment, the endpoint from OPENAI_BASE_URL and
 * OPENAI_API_KEY, and prints the metric lines a worker reads: one progress line
 * per repeat and a final line with the mean score and its spread.
 */
export async function endpointTrialCommand(options: EndpointTrialOptions): Promise<void> {
  const baseURL = process.env["OPENAI_BASE_URL"];
  if (baseURL === undefined || baseURL === "") throw new ConfigError("OPENAI_BASE_URL must name the endpoint, e.g. http://127.0.0.1:8000/v1");
  const repeats = integerFlag("--repeats", options.repeats, 1, 1000);
  const rule = parseScoringRule(options.scoring);
  const prompts = await loadPrompts(options.prompts);
  const raw = process.env[CHILD_ENV.params];
  const params = raw === undefined || raw === "" ? {} : (JSON.parse(raw) as Record<string, unknown>);
  const client = new OpenAI({ baseURL, apiKey: process.env["OPENAI_API_KEY"] || "none", maxRetries: 2 });
  const metric = options.metric;
  const result = await evaluateEndpoint({
    client,
    model: options.model,
    prompts,
    rule,
    repeats,
    sampling: samplingParams(params),
    onRepeat: (repeat, mean) => console.log(JSON.stringify({ step: repeat, [metric]: mean })),
  });
  console.log(JSON.stringify({ final: true, [metric]: result.mean, [`${metric}_std`]: result.std, repeats: result.repeats.length, prompts: prompts.length }));
}
