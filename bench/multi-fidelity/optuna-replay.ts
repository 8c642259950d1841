/*
 * Optuna's multi-fidelity engines replayed on the same recorded curves and the
 * same virtual clock as bayestune's (virtual-replay.ts): Optuna (in
 * optuna_mf_driver.py, over a pipe) asks configurations and decides pruning; k
 * virtual slots "train" each trial from step 0, reporting the curve's loss at
 * every budget of the ladder (fidelity.min · η^k, ending at the full budget),
 * where the pruner may stop it. Compute is counted per segment between reports,
 * when it ends: the same steps and seconds a bayestune job climbing the same
 * rungs from its checkpoints pays.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { rungLadder } from "@bayestune/core";
import { VENV_PYTHON } from "../optuna-pipe.js";
import type { CurveParams, CurveProblem } from "./curve-problem.js";
import { ComputeTrace, describeConfigurations, type ReplayLimits, type ReplayRun } from "./virtual-replay.js";

const DRIVER = fileURLToPath(new URL("./optuna_mf_driver.py", import.meta.url));

export type OptunaEngine = "tpe-sha" | "tpe-hyperband" | "gp-full";

/** One Optuna driver process for one engine and problem; studies (one per seed) run in it one after another. */
export class OptunaDriver {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #replies: ((line: string) => void)[] = [];
  readonly #exited: Promise<void>;

  constructor(engine: OptunaEngine, problem: CurveProblem) {
    this.#child = spawn(VENV_PYTHON, [DRIVER, engine, JSON.stringify(problem.space), String(problem.minSteps), String(problem.maxSteps), String(problem.reductionFactor)]);
    let stderr = "";
    this.#child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: this.#child.stdout }).on("line", (line) => this.#replies.shift()?.(line));
    this.#exited = new Promise((resolve, reject) =>
      this.#child.on("close", (code) => (code === 0 || code === null ? resolve() : reject(new Error(`optuna ${engine} exited with ${code}: ${stderr.slice(-2000)}`)))),
    );
    this.#exited.catch(() => undefined);
  }

  async request<T>(message: object): Promise<T> {
    const reply = new Promise<string>((resolve, reject) => {
      this.#replies.push(resolve);
      this.#exited.then(() => reject(new Error("the optuna driver exited")), reject);
    });
    this.#child.stdin.write(`${JSON.stringify(message)}\n`);
    return JSON.parse(await reply) as T;
  }

  async close(): Promise<void> {
    this.#child.stdin.end();
    await this.#exited;
  }
}

/** Replays one Optuna study (one seed) until it has spent `limits.cap` compute (gp-full: `limits.fullRuns` trials). */
export async function replayOptuna(driver: OptunaDriver, engine: OptunaEngine, problem: CurveProblem, slots: number, seed: number, limits: ReplayLimits): Promise<ReplayRun> {
  await driver.request({ op: "study", seed });
  const ladder = engine === "gp-full" ? [problem.maxSteps] : rungLadder({ min: problem.minSteps, max: problem.maxSteps, reductionFactor: problem.reductionFactor });
  const secondsTo = (params: CurveParams, steps: number): number => (problem.seconds === undefined ? steps : problem.seconds(params, steps));
  interface Running {
    trial: number;
    params: CurveParams;
    /** Index into the ladder of the next report. */
    next: number;
    endsAt: number;
  }
  const running: Running[] = [];
  const configurations: CurveParams[] = [];
  let now = 0;
  const startSegment = (r: Running): void => {
    const from = r.next === 0 ? 0 : ladder[r.next - 1]!;
    r.endsAt = now + secondsTo(r.params, ladder[r.next]!) - secondsTo(r.params, from);
    running.push(r);
  };
  const startTrial = async (): Promise<void> => {
    const { trial, params } = await driver.request<{ trial: number; params: CurveParams }>({ op: "ask" });
    configurations.push(params);
    startSegment({ trial, params, next: 0, endsAt: 0 });
  };
  const compute = new ComputeTrace();
  let promotions = 0;
  let asked = 0;
  const mayAsk = (): boolean => (engine === "gp-full" ? asked < limits.fullRuns : true);
  for (; asked < slots && mayAsk(); asked++) await startTrial();
  while (running.length > 0) {
    running.sort((a, b) => a.endsAt - b.endsAt || a.trial - b.trial);
    const r = running.shift()!;
    now = r.endsAt;
    const from = r.next === 0 ? 0 : ladder[r.next - 1]!;
    const at = ladder[r.next]!;
    const value = problem.loss(r.params, at);
    compute.record(at - from, secondsTo(r.params, at) - secondsTo(r.params, from), at >= problem.maxSteps ? value : undefined);
    if (r.next > 0) promotions++;
    let ended = true;
    if (!Number.isFinite(value)) {
      await driver.request({ op: "tell", trial: r.trial, state: "fail" });
    } else if (at >= problem.maxSteps) {
      await driver.request({ op: "tell", trial: r.trial, state: "complete", value });
    } else {
      const { prune } = await driver.request<{ prune: boolean }>({ op: "report", trial: r.trial, step: at, value });
      if (prune) await driver.request({ op: "tell", trial: r.trial, state: "pruned" });
      else {
        r.next++;
        startSegment(r);
        ended = false;
      }
    }
    if (engine !== "gp-full" && compute.spent(limits.unit) >= limits.cap) break;
    if (ended && mayAsk()) {
      await startTrial();
      asked++;
    }
  }
  // Trials still running at the cap are left: the next study replaces this one.
  return { engine: `optuna-${engine}`, slots, seed, trace: compute.trace, promotions, ...describeConfigurations(problem, configurations), decideMs: 0 };
}
