import { categorical, float, int } from "@bayestune/core";
import type { ParamDef, Problem } from "./problems.js";

function toBayestuneParam(def: ParamDef) {
  switch (def.type) {
    case "float":
      return float(def.low, def.high, { log: def.log });
    case "int":
      return int(def.low, def.high, { log: def.log });
    case "categorical":
      return categorical([...def.choices]);
  }
}

/** The problem's space in bayestune's vocabulary. */
export function toBayestuneSpace(space: Problem["space"]) {
  return Object.fromEntries(Object.entries(space).map(([name, def]) => [name, toBayestuneParam(def)]));
}
