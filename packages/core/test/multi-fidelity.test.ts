import { describe, expect, it } from "vitest";
import { float, InvalidArgumentError, proposeAtFullBudget, Rng, SearchSpace, type FidelityObservation } from "../src/index.js";

const space = SearchSpace.from({ x: float(0, 1), y: float(0, 1) });
const budget = { min: 10, max: 810 };

/** A learning-curve family: the full-budget loss has its minimum at (0.3, 0.7); short runs add a bias that shrinks with the budget. */
function loss(x: number, y: number, fidelity: number): number {
  return (x - 0.3) ** 2 + (y - 0.7) ** 2 + 2 / Math.sqrt(fidelity);
}

function grid(fidelity: number, n: number): FidelityObservation[] {
  const out: FidelityObservation[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const x = (i + 0.5) / n;
      const y = (j + 0.5) / n;
      out.push({ params: { x, y }, fidelity, value: loss(x, y, fidelity) });
    }
  }
  return out;
}

describe("proposeAtFullBudget", () => {
  it("learns where the full run is best from cheap low-rung results alone", () => {
    const p = proposeAtFullBudget(space, budget, [...grid(10, 5), ...grid(30, 3)], { rng: new Rng(1) });
    expect(Math.hypot((p.x as number) - 0.3, (p.y as number) - 0.7)).toBeLessThan(0.15);
  });

  it("follows the low rungs even when the only full run lies elsewhere", () => {
    // One full run at a poor point (0.9, 0.1) and cheap runs everywhere: the proposal leaves the full run's corner.
    const observations = [...grid(10, 5), { params: { x: 0.9, y: 0.1 }, fidelity: 810, value: loss(0.9, 0.1, 810) }];
    const p = proposeAtFullBudget(space, budget, observations, { rng: new Rng(2) });
    const fromOptimum = Math.hypot((p.x as number) - 0.3, (p.y as number) - 0.7);
    expect(fromOptimum).toBeLessThan(0.5);
    expect(fromOptimum).toBeLessThan(Math.hypot(0.9 - 0.3, 0.1 - 0.7) / 1.5);
  });

  it("moves away from a configuration already being trained", () => {
    const observations = [...grid(10, 5), ...grid(90, 3)];
    const alone = proposeAtFullBudget(space, budget, observations, { rng: new Rng(3) });
    const beside = proposeAtFullBudget(space, budget, observations, { rng: new Rng(3), pending: [alone] });
    expect(Math.hypot((alone.x as number) - (beside.x as number), (alone.y as number) - (beside.y as number))).toBeGreaterThan(0.02);
  });

  it("refuses too few observations or an empty budget range", () => {
    expect(() => proposeAtFullBudget(space, budget, grid(10, 1), { rng: new Rng(1) })).toThrow(InvalidArgumentError);
    expect(() => proposeAtFullBudget(space, { min: 10, max: 10 }, grid(10, 2), { rng: new Rng(1) })).toThrow(/0 < min < max/);
  });
});
