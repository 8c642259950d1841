/**
 * An acquisition value and its partial derivatives with respect to the
 * posterior mean and standard deviation, which the acquisition optimiser chains
 * with the GP's gradients. It lives apart from `acquisition.ts` so that the
 * single acquisition files can write it without an import cycle.
 */
export interface AcquisitionValue {
  /** The acquisition value; larger is better. */
  value: number;
  /** ∂value/∂mean. */
  dMean: number;
  /** ∂value/∂std. */
  dStd: number;
}
