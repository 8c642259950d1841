"""Drives Optuna's TPESampler and GPSampler on bayestune's benchmark problems.

Spawned by bench/run.ts, which owns the problem definitions and passes them in a
job file, so both sides optimise exactly the same spaces with the same budgets
and seeds.

    run_optuna.py --probe                  versions as JSON on stdout
    run_optuna.py --job JOB.json --out OUT.jsonl

A regret job ({"kind": "regret", "problems": [...], "engines": [...], "torchThreads": n})
writes one JSON line per engine x problem x seed. Each problem carries its
"objective" (a name in problems.py), "space", "budget", "nStartup" and "runs":
one {"seed", "design", "noise"} per seed. The design's points are enqueued and
each sampler's n_startup_trials is nStartup, so its model takes over after the
same initial design as bayestune's GP; "noise" (null when noise-free) is added to
the objective at each evaluation index, drawn once in TypeScript so that every
engine sees the same noise. A line holds, after each evaluation, the noise-free
value of the trial with the best observed value (null before the first finite
one), each ask's latency, the failed count and how many first asks were the design.
A latency job ({"kind": "latency", "problem": {...}, "history": [{"params", "value"}],
"sizes": [...], "repeats": r, "engines": [...]}) adds the first `size` history
points with study.add_trials, then times r asks (each told its true value).
Progress goes to stderr.
"""

import argparse
import json
import math
import platform
import sys
import time
import warnings

from problems import objective

ENGINE_NAMES = {"tpe": "optuna-tpe", "gp": "optuna-gp"}


def probe():
    versions = {"python": platform.python_version(), "optuna": None, "torch": None, "scipy": None}
    for module in ("optuna", "torch", "scipy"):
        try:
            versions[module] = __import__(module).__version__
        except Exception:  # an absent or broken install both mean "unavailable"
            pass
    json.dump(versions, sys.stdout)


def distributions(space):
    import optuna.distributions as d

    out = {}
    for name, spec in space.items():
        if spec["type"] == "float":
            out[name] = d.FloatDistribution(spec["low"], spec["high"], log=spec["log"])
        elif spec["type"] == "int":
            out[name] = d.IntDistribution(spec["low"], spec["high"], log=spec["log"])
        else:
            out[name] = d.CategoricalDistribution(spec["choices"])
    return out


def make_study(engine, seed, n_startup=None):
    """n_startup None keeps the sampler's default number of startup trials."""
    import optuna

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

    startup = {} if n_startup is None else {"n_startup_trials": n_startup}
    if engine == "tpe":
        sampler = optuna.samplers.TPESampler(seed=seed, **startup)
    elif engine == "gp":
        # Defaults otherwise: deterministic_objective stays off, as for a training run.
        sampler = optuna.samplers.GPSampler(seed=seed, **startup)
    else:
        raise ValueError(f"unknown engine {engine!r}")
    return optuna.create_study(direction="minimize", sampler=sampler)


def run_one(engine, problem, run):
    from optuna.trial import TrialState

    started, cpu_started = time.perf_counter(), time.process_time()
    study = make_study(engine, run["seed"], problem["nStartup"])
    design = run["design"]
    for params in design:
        study.enqueue_trial(params)
    noise = run["noise"]
    dists = distributions(problem["space"])
    f = objective(problem["objective"])
    best_observed, deployed = math.inf, None
    best_so_far, ask_ms, failed, paired = [], [], 0, 0
    for i in range(problem["budget"]):
        start = time.perf_counter()
        trial = study.ask(dists)
        ask_ms.append((time.perf_counter() - start) * 1000)
        if i == paired and i < len(design) and trial.params == design[i]:
            paired += 1
        value = f(trial.params)
        if math.isfinite(value):
            observed = value + (noise[i] if noise is not None else 0.0)
            study.tell(trial, observed)
            if observed < best_observed:
                best_observed, deployed = observed, value
        else:
            study.tell(trial, state=TrialState.FAIL)
            failed += 1
        best_so_far.append(deployed)
    return {
        "engine": ENGINE_NAMES[engine],
        "problem": problem["name"],
        "seed": run["seed"],
        "bestSoFar": best_so_far,
        "askMs": ask_ms,
        "failed": failed,
        "pairedStart": paired,
        "wallMs": (time.perf_counter() - started) * 1000,
        "cpuMs": (time.process_time() - cpu_started) * 1000,
    }


def regret_job(job, out):
    import optuna
    import torch

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # Shares the machine with the TypeScript engines running at the same time.
    torch.set_num_threads(job["torchThreads"])
    # Seed by seed across the problems, so that a run stopped early (--optuna-partial)
    # has its first seeds of every problem rather than every seed of the first problems.
    for engine in job["engines"]:
        rounds = max(len(problem["runs"]) for problem in job["problems"])
        for i in range(rounds):
            start = time.perf_counter()
            for problem in job["problems"]:
                if i < len(problem["runs"]):
                    out.write(json.dumps(run_one(engine, problem, problem["runs"][i])) + "\n")
                    out.flush()
            elapsed = time.perf_counter() - start
            print(
                f"[optuna] {ENGINE_NAMES[engine]}: run {i + 1} of {rounds} on every problem in {elapsed:.1f}s",
                file=sys.stderr,
                flush=True,
            )


def latency_job(job, out):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    problem = job["problem"]
    dists = distributions(problem["space"])
    f = objective(problem["name"])
    for engine in job["engines"]:
        for size in job["sizes"]:
            study = make_study(engine, 0)
            study.add_trials(
                [
                    optuna.trial.create_trial(params=h["params"], distributions=dists, value=h["value"])
                    for h in job["history"][:size]
                ]
            )
            ask_ms = []
            for _ in range(job["repeats"]):
                start = time.perf_counter()
                trial = study.ask(dists)
                ask_ms.append((time.perf_counter() - start) * 1000)
                study.tell(trial, f(trial.params))
            out.write(json.dumps({"engine": ENGINE_NAMES[engine], "problem": problem["name"], "history": size, "askMs": ask_ms}) + "\n")
            out.flush()
            print(
                f"[optuna] latency {ENGINE_NAMES[engine]} n={size}: median {sorted(ask_ms)[len(ask_ms) // 2]:.1f} ms",
                file=sys.stderr,
                flush=True,
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probe", action="store_true", help="print versions as JSON and exit")
    parser.add_argument("--job", help="the job file written by bench/run.ts")
    parser.add_argument("--out", help="where to write JSON lines")
    args = parser.parse_args()
    if args.probe:
        probe()
        return
    if not args.job or not args.out:
        parser.error("--job and --out are required unless --probe")
    with open(args.job) as f:
        job = json.load(f)
    with open(args.out, "w") as out:
        if job["kind"] == "regret":
            regret_job(job, out)
        elif job["kind"] == "latency":
            latency_job(job, out)
        else:
            parser.error(f"unknown job kind {job['kind']!r}")


if __name__ == "__main__":
    main()
