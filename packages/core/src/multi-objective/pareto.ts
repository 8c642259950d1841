import { InvalidArgumentError } from "../errors.js";

/** Whether a dominates b (all objectives minimised): no worse anywhere, better somewhere. */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let k = 0; k < a.length; k++) {
    if (a[k]! > b[k]!) return false;
    if (a[k]! < b[k]!) better = true;
  }
  return better;
}

/**
 * Indices of the non-dominated points (all objectives minimised), in input order.
 * Of several identical points only the first is kept. O(n²·m), which suits the
 * hundreds of trials a study has.
 */
export function paretoFront(points: readonly (readonly number[])[]): number[] {
  const m = points[0]?.length ?? 0;
  for (const p of points) {
    if (p.length !== m || p.some((v) => !Number.isFinite(v))) throw new InvalidArgumentError(`points must be finite and of one length (${m}), got ${JSON.stringify(p)}`);
  }
  const front: number[] = [];
  outer: for (let i = 0; i < points.length; i++) {
    for (let j = 0; j < points.length; j++) {
      if (j === i) continue;
      if (dominates(points[j]!, points[i]!)) continue outer;
      // An identical earlier point already stands for this one.
      if (j < i && points[j]!.every((v, k) => v === points[i]![k])) continue outer;
    }
    front.push(i);
  }
  return front;
}

/**
 * The hypervolume dominated by `points` and bounded by `reference` (all
 * objectives minimised): the measure of { z ≤ reference : some point ≤ z }.
 * Points not strictly better than the reference in every objective add nothing.
 * Exact, by slicing along the last objective (HSO, While et al. 2006); a sweep
 * in two dimensions. Fine for the front sizes of a study (hundreds of points, 2–4 objectives).
 */
export function hypervolume(points: readonly (readonly number[])[], reference: readonly number[]): number {
  const m = reference.length;
  if (m < 1 || reference.some((v) => !Number.isFinite(v))) throw new InvalidArgumentError(`reference must be finite numbers, got ${JSON.stringify(reference)}`);
  const inside = points.filter((p) => {
    if (p.length !== m) throw new InvalidArgumentError(`every point needs ${m} objectives, got ${JSON.stringify(p)}`);
    return p.every((v, k) => v < reference[k]!);
  });
  return slice(inside.map((p) => [...p]), reference);
}

function slice(points: number[][], reference: readonly number[]): number {
  const m = reference.length;
  if (points.length === 0) return 0;
  if (m === 1) return reference[0]! - Math.min(...points.map((p) => p[0]!));
  if (m === 2) {
    // Sweep by the first objective: each point adds the strip up to the best second objective so far.
    const sorted = points.slice().sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    let volume = 0;
    let bestSecond = reference[1]!;
    for (let i = 0; i < sorted.length; i++) {
      const [x, y] = sorted[i]!;
      if (y! < bestSecond) {
        const nextX = reference[0]!;
        volume += (nextX - x!) * (bestSecond - y!);
        bestSecond = y!;
      }
    }
    return volume;
  }
  // Slabs between consecutive values of the last objective: each is the (m−1)-volume of the points below it.
  const sorted = points.slice().sort((a, b) => a[m - 1]! - b[m - 1]!);
  const lower = reference.slice(0, m - 1);
  let volume = 0;
  for (let i = 0; i < sorted.length; i++) {
    const top = i + 1 < sorted.length ? sorted[i + 1]![m - 1]! : reference[m - 1]!;
    const depth = top - sorted[i]![m - 1]!;
    if (depth > 0) volume += depth * slice(sorted.slice(0, i + 1).map((p) => p.slice(0, m - 1)), lower);
  }
  return volume;
}
