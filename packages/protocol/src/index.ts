export {
  CategoricalParamSpec,
  FloatParamSpec,
  IntParamSpec,
  ParamSpec,
  SpaceSpec,
  STEP_TOLERANCE,
  type ChoiceValue,
  type ParamSpecInput,
  type SpaceSpecInput,
} from "./param-spec.js";
export { formatZodIssues } from "./format-zod-issues.js";
