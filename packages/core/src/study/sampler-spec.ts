import type { SamplerSpec } from "@bayestune/protocol";
import type { SamplerChoice } from "./study.js";

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
