import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StudyConfigInput } from "@bayestune/protocol";
import { StudyConfig } from "@bayestune/protocol";
import { StoreError, type StoreErrorCode } from "../src/errors.js";
import { refreshTrials } from "../src/refresh-trials.js";
import type { Store, StoredTrial } from "../src/store.js";
import { createTrial } from "../src/create-trial.js";

export interface StoreFixture {
  store: Store;
  cleanup(): Promise<void>;
}

const baseConfig: StudyConfigInput = {
  name: "tiny-lm",
  space: { lr: { type: "float", low: 1e-5, high: 1e-2, log: true }, layers: { type: "int", low: 1, high: 8 } },
  maxTrials: 20,
  command: { argv: ["python", "train.py", "--lr={lr}"] },
};

export function studyConfig(overrides: Partial<StudyConfigInput> = {}): StudyConfig {
  return StudyConfig.parse({ ...baseConfig, ...overrides });
}

export async function expectStoreError(promise: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  expect((error as StoreError).code).toBe(code);
  return error as StoreError;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The Store contract (see the doc comment of `Store`), run against one backend.
 * `makeStore` gives a fresh, empty store for each test and a cleanup that
 * removes whatever the test left.
 */
export function describeStoreContract(name: string, makeStore: () => Promise<StoreFixture>): void {
  describe(`${name} keeps the Store contract`, () => {
    let fixture: StoreFixture;
    let store: Store;
    beforeEach(async () => {
      fixture = await makeStore();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    const finishComplete = (trial: number, value: number, extra: object = {}) =>
      store.finishTrial({ study: "tiny-lm", trial, rung: 0, state: "complete", value, ...extra });

    describe("studies", () => {
      it("stores the parsed config and lists studies sorted", async () => {
        const created = await store.createStudy(studyConfig({ name: "zeta" }));
        await store.createStudy(studyConfig({ name: "alpha" }));
        expect(created.name).toBe("zeta");
        expect(created.config).toEqual(studyConfig({ name: "zeta" }));
        expect(created.config.direction).toBe("minimize");
        expect(await store.getStudy("zeta")).toEqual(created);
        expect(await store.getStudy("nope")).toBeUndefined();
        await expectStoreError(store.getStudy("no:colons"), "INVALID_RECORD");
        expect(await store.listStudies()).toEqual(["alpha", "zeta"]);
      });

      it("returns the existing study for the same config, whatever its key order", async () => {
        const first = await store.createStudy(studyConfig());
        await sleep(5);
        const reordered = Object.fromEntries(Object.entries(studyConfig()).reverse()) as StudyConfig;
        const again = await store.createStudy(reordered);
        expect(again).toEqual(first);
        expect(again.createdAt).toBe(first.createdAt);
        expect(await store.listStudies()).toEqual(["tiny-lm"]);
      });

      it("keeps the order in which the space names its parameters", async () => {
        const created = await store.createStudy(studyConfig());
        const order = Object.keys(baseConfig.space);
        expect(order).not.toEqual([...order].sort());
        expect(Object.keys(created.config.space)).toEqual(order);
        expect(Object.keys((await store.getStudy("tiny-lm"))?.config.space ?? {})).toEqual(order);
      });

      it("refuses a different config under an existing name and keeps the stored one", async () => {
        await store.createStudy(studyConfig());
        const error = await expectStoreError(store.createStudy(studyConfig({ maxTrials: 21 })), "STUDY_EXISTS");
        expect(error.message).toContain("maxTrials");
        expect((await store.getStudy("tiny-lm"))?.config.maxTrials).toBe(20);
      });

      it("rejects an invalid config before writing anything", async () => {
        await expectStoreError(store.createStudy({ ...studyConfig(), maxTrials: -1 }), "INVALID_RECORD");
        await expectStoreError(store.createStudy({ ...studyConfig(), name: "a:b" }), "INVALID_RECORD");
        expect(await store.listStudies()).toEqual([]);
      });
    });

    describe("trial numbers", () => {
      it("are dense from 0 per study, with the given params, running at rung 0", async () => {
        await store.createStudy(studyConfig());
        await store.createStudy(studyConfig({ name: "other" }));
        const t0 = await createTrial(store, "tiny-lm", { lr: 0.001, layers: 2 }, "sampler");
        const t1 = await createTrial(store, "tiny-lm", { lr: 0.002, layers: 3 }, "enqueued", 1000);
        const o0 = await createTrial(store, "other", { lr: 0.003, layers: 4 }, "sampler");
        expect([t0.number, t1.number, o0.number]).toEqual([0, 1, 0]);
        expect(t0).toMatchObject({ study: "tiny-lm", state: "running", rung: 0, attempts: 0, source: "sampler", intermediate: [] });
        expect(t0.fidelity).toBeUndefined();
        expect(t1).toMatchObject({ params: { lr: 0.002, layers: 3 }, source: "enqueued", fidelity: 1000 });
        expect(await store.getTrial("tiny-lm", 1)).toEqual(t1);
        expect(o0.study).toBe("other");
      });

      it("stay dense and unique under 200 concurrent createTrial calls", async () => {
        await store.createStudy(studyConfig());
        const created = await Promise.all(
          Array.from({ length: 200 }, (_, i) => createTrial(store, "tiny-lm", { lr: i, layers: 1 }, "sampler")),
        );
        expect(created.map((t) => t.number).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
        const stored = await store.getTrials("tiny-lm");
        expect(stored.map((t) => t.number)).toEqual(Array.from({ length: 200 }, (_, i) => i));
        for (const trial of created) expect(stored[trial.number]?.params).toEqual(trial.params);
      });

      it("of one createTrials call are consecutive, even beside concurrent calls, and its sampler state is stored with them", async () => {
        await store.createStudy(studyConfig());
        expect(await store.getSamplerState("tiny-lm")).toBeUndefined();
        const batches = await Promise.all(
          Array.from({ length: 20 }, (_, b) =>
            store.createTrials(
              "tiny-lm",
              [
                { params: { lr: b, layers: 1 }, source: "sampler" },
                { params: { lr: b, layers: 2 }, source: "sampler", fidelity: 100 },
                { params: { lr: b, layers: 3 }, source: "enqueued" },
              ],
              `{"batch":${b}}`,
            ),
          ),
        );
        for (const batch of batches) {
          expect(batch.map((t) => t.number - batch[0]!.number)).toEqual([0, 1, 2]);
          expect(batch.map((t) => t.params.layers)).toEqual([1, 2, 3]);
          expect(batch[1]!.fidelity).toBe(100);
        }
        const stored = await store.getTrials("tiny-lm");
        expect(stored.map((t) => t.number)).toEqual(Array.from({ length: 60 }, (_, i) => i));
        // The state kept is that of the call whose trials came last.
        const last = batches.reduce((a, b) => (b[0]!.number > a[0]!.number ? b : a));
        expect(await store.getSamplerState("tiny-lm")).toBe(`{"batch":${last[0]!.params.lr}}`);
        // A call without a state leaves the stored one; an empty call only stores its state.
        await createTrial(store, "tiny-lm", { lr: 0.5, layers: 1 }, "sampler");
        expect(await store.getSamplerState("tiny-lm")).toBe(`{"batch":${last[0]!.params.lr}}`);
        expect(await store.createTrials("tiny-lm", [], "later")).toEqual([]);
        expect(await store.getSamplerState("tiny-lm")).toBe("later");
        expect((await store.getTrials("tiny-lm")).length).toBe(61);
      });

      it("refuse a createTrials call with one bad trial, writing none of them, and know no unknown study", async () => {
        await store.createStudy(studyConfig());
        await expectStoreError(
          store.createTrials("tiny-lm", [{ params: { lr: 0.1, layers: 1 }, source: "sampler" }, { params: { lr: Number.NaN, layers: 1 }, source: "sampler" }], "s"),
          "INVALID_RECORD",
        );
        await expectStoreError(store.createTrials("tiny-lm", [{ params: { lr: 0.1 }, source: "sampler", fidelity: 0 }]), "INVALID_RECORD");
        await expectStoreError(store.createTrials("tiny-lm", [], 42 as unknown as string), "INVALID_RECORD");
        expect(await store.getTrials("tiny-lm")).toEqual([]);
        expect(await store.getSamplerState("tiny-lm")).toBeUndefined();
        await expectStoreError(store.createTrials("nope", [{ params: { lr: 0.1 }, source: "sampler" }], "s"), "UNKNOWN_STUDY");
        await expectStoreError(store.getSamplerState("nope"), "UNKNOWN_STUDY");
      });

      it("come back from getTrials in number order with their latest state", async () => {
        await store.createStudy(studyConfig());
        for (let i = 0; i < 5; i++) await createTrial(store, "tiny-lm", { lr: i / 10, layers: i + 1 }, "sampler");
        await finishComplete(3, 0.5);
        const trials = await store.getTrials("tiny-lm");
        expect(trials.map((t) => [t.number, t.params.layers, t.state])).toEqual([
          [0, 1, "running"],
          [1, 2, "running"],
          [2, 3, "running"],
          [3, 4, "complete"],
          [4, 5, "running"],
        ]);
      });

      it("are brought up to date by refreshTrials, which reads again only the running and paused ones and the new ones", async () => {
        await store.createStudy(studyConfig());
        for (let i = 0; i < 4; i++) await createTrial(store, "tiny-lm", { lr: i / 10, layers: i + 1 }, "sampler");
        await finishComplete(0, 0.5);
        await store.finishTrial({ study: "tiny-lm", trial: 1, rung: 0, state: "failed", reason: "out-of-memory" });
        await finishComplete(3, 0.7, { pause: true });
        const read: number[] = [];
        const counted = {
          getTrial: (study: string, number: number) => (read.push(number), store.getTrial(study, number)),
          getTrials: () => Promise.reject(new Error("refreshTrials with known trials must not read them all")),
        };
        const known = await store.getTrials("tiny-lm");
        expect(await refreshTrials(store, "tiny-lm")).toEqual(known);

        // Trial 2 reports and finishes, 3 is promoted, and 40 new trials (more than one probe batch) appear.
        await store.recordProgress({ kind: "progress", study: "tiny-lm", trial: 2, rung: 0, step: 1, metrics: { loss: 0.9 } });
        await finishComplete(2, 0.6);
        await store.promoteTrial({ study: "tiny-lm", trial: 3, rung: 1 });
        for (let i = 0; i < 40; i++) await createTrial(store, "tiny-lm", { lr: 0.5, layers: 1 }, "sampler");
        const refreshed = await refreshTrials(counted, "tiny-lm", known);
        expect(refreshed).toEqual(await store.getTrials("tiny-lm"));
        expect(refreshed.map((t) => t.state).slice(0, 5)).toEqual(["complete", "failed", "complete", "running", "running"]);
        // The finished trials 0 and 1 were not read again.
        expect(read.filter((n) => n < 4).sort()).toEqual([2, 3]);
        expect(Math.max(...read)).toBeLessThan(4 + 2 * 32);
      });
    });

    describe("finishing", () => {
      beforeEach(async () => {
        await store.createStudy(studyConfig());
        await createTrial(store, "tiny-lm", { lr: 0.001, layers: 2 }, "sampler");
      });

      it("records a complete result with everything it carries", async () => {
        const before = await store.getTrial("tiny-lm", 0);
        const { trial, applied } = await finishComplete(0, 2.5, {
          metrics: { loss: 2.5, accuracy: null },
          checkpoint: "s3://ckpt/0",
          worker: "gpu-1",
        });
        expect(applied).toBe(true);
        expect(trial).toMatchObject({
          state: "complete",
          value: 2.5,
          metrics: { loss: 2.5, accuracy: null },
          checkpoint: "s3://ckpt/0",
          worker: "gpu-1",
          attempts: 1,
          rung: 0,
        });
        expect(trial.reason).toBeUndefined();
        expect(trial.finishedAt).toBeGreaterThanOrEqual(before?.createdAt ?? Infinity);
        expect(await store.getTrial("tiny-lm", 0)).toEqual(trial);
      });

      it("prunes a trial stopped early: its last value and checkpoint kept, no rung completed, final from then on", async () => {
        const { trial, applied } = await finishComplete(0, 3.25, { stopped: true, checkpoint: "ckpt/step-40", metrics: { loss: 3.25 } });
        expect(applied).toBe(true);
        expect(trial).toMatchObject({ state: "pruned", value: 3.25, checkpoint: "ckpt/step-40", metrics: { loss: 3.25 }, rung: 0 });
        expect(trial.rungs).toEqual([]);
        expect(await store.getTrial("tiny-lm", 0)).toEqual(trial);
        expect((await finishComplete(0, 1)).applied).toBe(false);
        await expectStoreError(store.promoteTrial({ study: "tiny-lm", trial: 0, rung: 1 }), "TRIAL_FINISHED");
        await expectStoreError(
          store.recordProgress({ kind: "progress", study: "tiny-lm", trial: 0, rung: 0, step: 99, metrics: { loss: 1 } }),
          "TRIAL_FINISHED",
        );
      });

      it("refuses to prune with a failed result or together with a pause, writing nothing", async () => {
        await expectStoreError(store.finishTrial({ study: "tiny-lm", trial: 0, rung: 0, state: "failed", reason: "timeout", stopped: true }), "INVALID_RECORD");
        await expectStoreError(finishComplete(0, 1, { stopped: true, pause: true }), "INVALID_RECORD");
        expect((await store.getTrial("tiny-lm", 0))?.state).toBe("running");
      });

      it("keeps the reason and message of a failed result", async () => {
        const { trial } = await store.finishTrial({
          study: "tiny-lm",
          trial: 0,
          rung: 0,
          state: "failed",
          reason: "out-of-memory",
          message: "CUDA out of memory. Tried to allocate 2.00 GiB",
          attempts: 3,
        });
        const stored = await store.getTrial("tiny-lm", 0);
        expect(stored).toEqual(trial);
        expect(stored).toMatchObject({ state: "failed", reason: "out-of-memory", message: "CUDA out of memory. Tried to allocate 2.00 GiB", attempts: 3 });
        expect(stored?.value).toBeUndefined();
      });

      it("ignores a second finish of the same (trial, rung), whatever it carries", async () => {
        const first = await finishComplete(0, 1.25, { worker: "gpu-1" });
        await sleep(5);
        const second = await finishComplete(0, 9.75, { worker: "gpu-2", attempts: 2 });
        expect(second.applied).toBe(false);
        expect(second.trial).toEqual(first.trial);
        const failedAfter = await store.finishTrial({ study: "tiny-lm", trial: 0, rung: 0, state: "failed", reason: "timeout" });
        expect(failedAfter.applied).toBe(false);
        const stored = await store.getTrial("tiny-lm", 0);
        expect(stored).toEqual(first.trial);
        expect(stored?.finishedAt).toBe(first.trial.finishedAt);
        expect(stored?.value).toBe(1.25);
      });

      it("refuses a result for another rung of a finished trial", async () => {
        const first = await finishComplete(0, 1.25);
        await expectStoreError(store.finishTrial({ study: "tiny-lm", trial: 0, rung: 1, state: "complete", value: 0.5 }), "TRIAL_FINISHED");
        expect(await store.getTrial("tiny-lm", 0)).toEqual(first.trial);
      });

      it("refuses a rung other than the trial's current one", async () => {
        await expectStoreError(store.finishTrial({ study: "tiny-lm", trial: 0, rung: 1, state: "complete", value: 0.5 }), "INVALID_RECORD");
        expect((await store.getTrial("tiny-lm", 0))?.state).toBe("running");
        expect((await finishComplete(0, 0.5)).applied).toBe(true);
      });

      it("rejects malformed results and leaves the trial running", async () => {
        const bad = [
          { study: "tiny-lm", trial: 0, rung: 0, state: "complete" },
          { study: "tiny-lm", trial: 0, rung: 0, state: "complete", value: Number.NaN },
          { study: "tiny-lm", trial: 0, rung: 0, state: "complete", value: Infinity },
          { study: "tiny-lm", trial: 0, rung: 0, state: "complete", value: 1, metrics: { loss: Number.NaN } },
          { study: "tiny-lm", trial: 0, rung: 0, state: "failed" },
          { study: "tiny-lm", trial: 0, rung: 0, state: "failed", reason: "bad-luck" },
          { study: "tiny-lm", trial: -1, rung: 0, state: "complete", value: 1 },
          { study: "tiny-lm", trial: 0, rung: 0.5, state: "complete", value: 1 },
        ];
        for (const result of bad) {
          await expectStoreError(store.finishTrial(result as Parameters<Store["finishTrial"]>[0]), "INVALID_RECORD");
        }
        const stored = await store.getTrial("tiny-lm", 0);
        expect(stored?.state).toBe("running");
        expect(stored?.finishedAt).toBeUndefined();
      });

      it("round-trips float64 values exactly", async () => {
        const values = [0.1 + 0.2, 5e-324, Number.MAX_VALUE, -1.2345678901234567e-300, 1 / 3];
        for (let i = 1; i < values.length; i++) await createTrial(store, "tiny-lm", { lr: values[i] ?? 0, layers: 1 }, "sampler");
        for (const [i, value] of values.entries()) await finishComplete(i, value, { metrics: { loss: value } });
        const trials = await store.getTrials("tiny-lm");
        for (const [i, value] of values.entries()) {
          expect(Object.is(trials[i]?.value, value)).toBe(true);
          expect(Object.is(trials[i]?.metrics?.loss, value)).toBe(true);
          if (i > 0) expect(Object.is(trials[i]?.params.lr, value)).toBe(true);
        }
      });

      it("stores -0 as 0", async () => {
        const { trial } = await finishComplete(0, -0);
        expect(Object.is(trial.value, 0)).toBe(true);
      });
    });

    describe("promotions (multi-fidelity)", () => {
      beforeEach(async () => {
        await store.createStudy(studyConfig());
        await createTrial(store, "tiny-lm", { lr: 0.001, layers: 2 }, "sampler", 100);
      });
      const pauseAt = (rung: number, value: number, extra: object = {}) =>
        store.finishTrial({ study: "tiny-lm", trial: 0, rung, state: "complete", value, pause: true, ...extra });
      const promote = (rung: number, fidelity?: number) =>
        store.promoteTrial({ study: "tiny-lm", trial: 0, rung, ...(fidelity !== undefined ? { fidelity } : {}) });

      it("pauses a complete rung with its value, then promotes it to run the next rung at its budget", async () => {
        const paused = await pauseAt(0, 2.5, { checkpoint: "/ckpt/t0-100" });
        expect(paused.trial).toMatchObject({ state: "paused", rung: 0, value: 2.5, fidelity: 100, checkpoint: "/ckpt/t0-100" });
        expect(paused.trial.rungs).toEqual([{ rung: 0, value: 2.5, fidelity: 100, checkpoint: "/ckpt/t0-100", finishedAt: paused.trial.finishedAt }]);
        const { trial, applied } = await promote(1, 300);
        expect(applied).toBe(true);
        expect(trial).toMatchObject({ state: "running", rung: 1, fidelity: 300, checkpoint: "/ckpt/t0-100" });
        expect(trial.value).toBeUndefined();
        expect(trial.finishedAt).toBeUndefined();
        expect(trial.rungs).toEqual(paused.trial.rungs);
        const done = await store.finishTrial({ study: "tiny-lm", trial: 0, rung: 1, state: "complete", value: 1.75 });
        expect(done.trial).toMatchObject({ state: "complete", rung: 1, value: 1.75 });
        expect(done.trial.rungs.map((r) => [r.rung, r.value, r.fidelity])).toEqual([
          [0, 2.5, 100],
          [1, 1.75, 300],
        ]);
        expect(await store.getTrial("tiny-lm", 0)).toEqual(done.trial);
      });

      it("promotes once per rung: a repeat, or a late duplicate of the paused rung's result, changes nothing", async () => {
        await pauseAt(0, 2.5);
        const first = await promote(1, 300);
        const again = await promote(1, 999);
        expect(again.applied).toBe(false);
        expect(again.trial).toEqual(first.trial);
        const late = await pauseAt(0, 9.5);
        expect(late.applied).toBe(false);
        expect(await store.getTrial("tiny-lm", 0)).toEqual(first.trial);
      });

      it("refuses to promote a running, complete or failed trial, or to skip a rung", async () => {
        await expectStoreError(promote(1), "INVALID_RECORD");
        await pauseAt(0, 2.5);
        await expectStoreError(promote(2), "INVALID_RECORD");
        await expectStoreError(promote(0), "INVALID_RECORD");
        await createTrial(store, "tiny-lm", { lr: 0.002, layers: 2 }, "sampler");
        await store.finishTrial({ study: "tiny-lm", trial: 1, rung: 0, state: "failed", reason: "out-of-memory" });
        await expectStoreError(store.promoteTrial({ study: "tiny-lm", trial: 1, rung: 1 }), "TRIAL_FINISHED");
        await expectStoreError(store.promoteTrial({ study: "tiny-lm", trial: 7, rung: 1 }), "UNKNOWN_TRIAL");
        expect((await store.getTrial("tiny-lm", 0))?.state).toBe("paused");
      });

      it("takes no progress or result for a paused trial, and only a complete rung can pause", async () => {
        await expectStoreError(store.finishTrial({ study: "tiny-lm", trial: 0, rung: 0, state: "failed", reason: "timeout", pause: true }), "INVALID_RECORD");
        await pauseAt(0, 2.5);
        await expectStoreError(store.recordProgress({ kind: "progress", study: "tiny-lm", trial: 0, rung: 0, step: 999, metrics: { loss: 1 } }), "TRIAL_FINISHED");
        await expectStoreError(store.finishTrial({ study: "tiny-lm", trial: 0, rung: 1, state: "complete", value: 1 }), "TRIAL_FINISHED");
        expect((await store.getTrial("tiny-lm", 0))?.rungs).toHaveLength(1);
      });

      it("records no rung for a failure, and the rung's value round-trips exactly", async () => {
        await pauseAt(0, 0.1 + 0.2);
        await promote(1);
        const failed = await store.finishTrial({ study: "tiny-lm", trial: 0, rung: 1, state: "failed", reason: "non-finite-metric" });
        expect(failed.trial.state).toBe("failed");
        expect(failed.trial.rungs).toHaveLength(1);
        expect(Object.is(failed.trial.rungs[0]?.value, 0.1 + 0.2)).toBe(true);
        expect(failed.trial.rungs[0]?.fidelity).toBe(100);
        expect(failed.trial.fidelity).toBeUndefined();
      });
    });

    describe("intermediate values", () => {
      const progress = (step: number, loss: number | null, trial = 0) =>
        store.recordProgress({ kind: "progress", study: "tiny-lm", trial, rung: 0, step, metrics: { loss } });

      beforeEach(async () => {
        await store.createStudy(studyConfig());
        await createTrial(store, "tiny-lm", { lr: 0.001, layers: 2 }, "sampler");
      });

      it("are kept in step order whatever the arrival order, nulls included", async () => {
        expect(await progress(200, 1.5)).toEqual({ applied: true });
        expect(await progress(100, null)).toEqual({ applied: true });
        expect(await progress(300, 1.25)).toEqual({ applied: true });
        const trial = await store.getTrial("tiny-lm", 0);
        expect(trial?.intermediate).toEqual([
          { rung: 0, step: 100, metrics: { loss: null } },
          { rung: 0, step: 200, metrics: { loss: 1.5 } },
          { rung: 0, step: 300, metrics: { loss: 1.25 } },
        ]);
      });

      it("are idempotent per step: the first report wins", async () => {
        await progress(100, 2.0);
        expect(await progress(100, 9.0)).toEqual({ applied: false });
        expect((await store.getTrial("tiny-lm", 0))?.intermediate).toEqual([{ rung: 0, step: 100, metrics: { loss: 2.0 } }]);
      });

      it("are refused once the trial finished, except for a redelivered step", async () => {
        await progress(100, 2.0);
        const { trial } = await finishComplete(0, 1.0);
        await expectStoreError(progress(200, 1.5), "TRIAL_FINISHED");
        expect(await progress(100, 2.0)).toEqual({ applied: false });
        expect(await store.getTrial("tiny-lm", 0)).toEqual(trial);
      });

      it("reject non-finite metrics and another rung", async () => {
        await expectStoreError(progress(100, Number.POSITIVE_INFINITY), "INVALID_RECORD");
        await expectStoreError(
          store.recordProgress({ kind: "progress", study: "tiny-lm", trial: 0, rung: 1, step: 1, metrics: { loss: 1 } }),
          "INVALID_RECORD",
        );
        expect((await store.getTrial("tiny-lm", 0))?.intermediate).toEqual([]);
      });
    });

    describe("unknown studies and trials", () => {
      it("throw UNKNOWN_STUDY from every method that needs the study", async () => {
        await expectStoreError(createTrial(store, "ghost", { lr: 1 }, "sampler"), "UNKNOWN_STUDY");
        await expectStoreError(store.getTrials("ghost"), "UNKNOWN_STUDY");
        await expectStoreError(store.getTrial("ghost", 0), "UNKNOWN_STUDY");
        await expectStoreError(store.finishTrial({ study: "ghost", trial: 0, rung: 0, state: "complete", value: 1 }), "UNKNOWN_STUDY");
        await expectStoreError(
          store.recordProgress({ kind: "progress", study: "ghost", trial: 0, rung: 0, step: 0, metrics: {} }),
          "UNKNOWN_STUDY",
        );
        expect(await store.listStudies()).toEqual([]);
      });

      it("throw UNKNOWN_TRIAL from writes and give undefined from getTrial", async () => {
        await store.createStudy(studyConfig());
        await createTrial(store, "tiny-lm", { lr: 1 }, "sampler");
        await expectStoreError(finishComplete(1, 1), "UNKNOWN_TRIAL");
        await expectStoreError(
          store.recordProgress({ kind: "progress", study: "tiny-lm", trial: 7, rung: 0, step: 0, metrics: {} }),
          "UNKNOWN_TRIAL",
        );
        expect(await store.getTrial("tiny-lm", 1)).toBeUndefined();
        expect((await store.getTrials("tiny-lm")).length).toBe(1);
      });
    });

    describe("snapshots", () => {
      it("are deeply frozen", async () => {
        const study = await store.createStudy(studyConfig());
        await createTrial(store, "tiny-lm", { lr: 0.001, layers: 2 }, "sampler");
        await store.recordProgress({ kind: "progress", study: "tiny-lm", trial: 0, rung: 0, step: 1, metrics: { loss: 3 } });
        const { trial } = await finishComplete(0, 1, { metrics: { loss: 1 } });
        const fromList = (await store.getTrials("tiny-lm"))[0] as StoredTrial;
        for (const record of [study, study.config, study.config.space, (await store.getStudy("tiny-lm"))?.config]) {
          expect(Object.isFrozen(record)).toBe(true);
        }
        for (const t of [trial, fromList, (await createTrial(store, "tiny-lm", { lr: 1 }, "sampler"))]) {
          expect(Object.isFrozen(t)).toBe(true);
          expect(Object.isFrozen(t.params)).toBe(true);
          expect(Object.isFrozen(t.intermediate)).toBe(true);
        }
        expect(Object.isFrozen(trial.metrics)).toBe(true);
        expect(Object.isFrozen(fromList.intermediate[0]?.metrics)).toBe(true);
        expect(() => {
          (trial.params as Record<string, unknown>).lr = 5;
        }).toThrow(TypeError);
      });

      it("share nothing with the caller or with each other", async () => {
        const config = studyConfig();
        await store.createStudy(config);
        config.maxTrials = 999;
        expect((await store.getStudy("tiny-lm"))?.config.maxTrials).toBe(20);

        const params: Record<string, number> = { lr: 0.001, layers: 2 };
        const metrics: Record<string, number> = { loss: 4 };
        await createTrial(store, "tiny-lm", params, "sampler");
        await store.recordProgress({ kind: "progress", study: "tiny-lm", trial: 0, rung: 0, step: 1, metrics });
        params.lr = 123;
        metrics.loss = 123;
        const a = await store.getTrial("tiny-lm", 0);
        const b = await store.getTrial("tiny-lm", 0);
        expect(a?.params.lr).toBe(0.001);
        expect(a?.intermediate[0]?.metrics.loss).toBe(4);
        expect(a).not.toBe(b);
        expect(a?.params).not.toBe(b?.params);
        expect(a).toEqual(b);
      });
    });
  });
}
