import type { SamplerSpec, StudyConfig } from "@bayestune/protocol";
import { compileParamPredicate } from "../space/param-predicate.js";
import { SearchSpace } from "../space/search-space.js";
import type { SamplerChoice, StudyOptions } from "./study.js";
import type { TellOutcome } from "./trial.js";

/**
 * A study config's sampler (protocol) in the core's terms: zod's optional keys
 * may hold undefined, which `exactOptionalPropertyTypes` keeps out of the core's.
 */
export function samplerChoiceFromSpec(spec: SamplerSpec): SamplerChoice {
  if (typeof spec === "string") return spec;
  const { nInitial, acquisition, xi, kappa, deterministic } = spec;
  return {
    type: "gp",
    ...(nInitial !== undefined ? { nInitial } : {}),
    ...(acquisition !== undefined ? { acquisition } : {}),
    ...(xi !== undefined ? { xi } : {}),
    ...(kappa !== undefined ? { kappa } : {}),
    ...(deterministic !== undefined ? { deterministic } : {}),
  };
}

/**
 * The core study a config describes: its space, direction, seed, sampler and constraints.
 * @throws InvalidArgumentError for a known constraint that does not compile.
 */
export function studyOptionsFromConfig(config: StudyConfig): StudyOptions {
  const space = SearchSpace.from(config.space);
  const known = config.knownConstraints ?? [];
  return {
    space,
    ...(known.length > 0 ? { feasibleIf: compileParamPredicate(known, space) } : {}),
    ...(config.objectives !== undefined ? { directions: config.objectives.map((o) => o.direction) } : { direction: config.direction }),
    seed: config.seed,
    sampler: samplerChoiceFromSpec(config.sampler),
    constraints: config.constraints.map(({ metric, min, max }) => ({ name: metric, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) })),
  };
}

/**
 * A finished trial's result as the core's `tell` takes it: the objective with the
 * constraint metrics when complete, "pruned" when stopped early, else a failure with its reason.
 */
export function tellOutcomeOf(
  config: StudyConfig,
  result: { readonly state: string; readonly value?: number | undefined; readonly metrics?: Readonly<Record<string, number | null>> | undefined; readonly reason?: string | undefined; readonly message?: string | undefined },
): TellOutcome {
  if (result.state === "pruned") return { state: "pruned" };
  if (result.state === "complete" && result.value !== undefined) {
    const metrics = result.metrics ?? {};
    const objectives = config.objectives?.map((o) => metrics[o.metric]);
    if (objectives !== undefined && !objectives.every((v): v is number => typeof v === "number" && Number.isFinite(v))) {
      return { state: "failed", reason: "no-metric: an objective metric was not reported" };
    }
    if (config.constraints.length === 0) return objectives !== undefined ? { values: objectives } : result.value;
    const constraints: Record<string, number> = {};
    for (const { metric } of config.constraints) {
      const value = metrics[metric];
      // The worker already fails such a result; one from elsewhere must not make tell throw.
      if (typeof value !== "number" || !Number.isFinite(value)) return { state: "failed", reason: `no-metric: constraint metric '${metric}' not reported` };
      constraints[metric] = value;
    }
    return objectives !== undefined ? { values: objectives as number[], constraints } : { value: result.value, constraints };
  }
  return { state: "failed", reason: [result.reason, result.message].filter(Boolean).join(": ") || "failed" };
}
