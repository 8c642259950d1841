import { describe, expectTypeOf, it } from "vitest";
import {
  categorical,
  createStudy,
  float,
  int,
  type Params,
  type Study,
  type TellOutcome,
  type Trial,
} from "@bayestune/core";

describe("public API types", () => {
  it("keeps the shapes the README documents", () => {
    const study = createStudy({ space: { lr: float(1e-5, 1e-2, { log: true }), n: int(1, 8), opt: categorical(["a", "b"]) } });
    expectTypeOf(study).toEqualTypeOf<Study>();
    expectTypeOf(study.ask).returns.toEqualTypeOf<Promise<Trial>>();
    expectTypeOf(study.askBatch).parameter(0).toEqualTypeOf<number>();
    expectTypeOf(study.askBatch).returns.toEqualTypeOf<Promise<Trial[]>>();
    expectTypeOf(study.tell).parameter(1).toEqualTypeOf<TellOutcome>();
    expectTypeOf(study.bestTrial).toEqualTypeOf<Trial | undefined>();
    expectTypeOf<Trial["params"]>().toEqualTypeOf<Readonly<Params>>();
    expectTypeOf<Trial["state"]>().toEqualTypeOf<"running" | "complete" | "failed" | "pruned">();
    expectTypeOf<TellOutcome>().toEqualTypeOf<
      | number
      | { readonly value: number; readonly constraints?: Readonly<Record<string, number>> }
      | { readonly values: readonly number[]; readonly constraints?: Readonly<Record<string, number>> }
      | { readonly state: "failed"; readonly reason: string }
      | { readonly state: "pruned" }
    >();
    expectTypeOf(study.feasibleCount).toEqualTypeOf<number>();
    expectTypeOf(study.bestTrials).toEqualTypeOf<Trial[]>();
    expectTypeOf<Trial["feasible"]>().toEqualTypeOf<boolean | undefined>();
  });
});
