import type { ChoiceValue, ParamSpecInput } from "@bayestune/protocol";

export type CurveParams = Readonly<Record<string, ChoiceValue>>;

/** A family of learning curves the bench replays: the loss any configuration reaches after any number of steps. */
export interface CurveProblem {
  readonly name: string;
  /** One sentence for the report: where the curves come from. */
  readonly description: string;
  readonly space: Readonly<Record<string, ParamSpecInput>>;
  readonly minSteps: number;
  readonly maxSteps: number;
  readonly reductionFactor: number;
  /** Validation loss after `steps` training steps; NaN for a run that diverged by then. */
  loss(params: CurveParams, steps: number): number;
  /**
   * Seconds of training (without evaluations) a run of `params` takes to reach
   * `steps`, where the family knows it (recorded curves with per-evaluation
   * times); absent where every step costs the same and steps are the only cost.
   */
  seconds?(params: CurveParams, steps: number): number;
  /** The best full-budget loss any configuration reaches (the target is this plus `targetGap`). */
  readonly bestFullBudgetLoss: number;
  readonly targetGap: number;
}
