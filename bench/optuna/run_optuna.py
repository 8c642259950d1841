"""Drives Optuna's TPESampler and GPSampler on bayestune's benchmark problems.

Spawned by bench/run.ts, which owns the problem definitions and passes them in a
job file, so both sides optimise exactly the same spaces with the same budgets
and seeds.

    run_optuna.py --probe                  versions as JSON on stdout
    run_optuna.py --job JOB.json --out OUT.jsonl

A regret job ({"kind": "regret", "problems": [...], "seeds": [...], "engines": [...],
"torchThreads": n}) writes one JSON line per engine x problem x seed: the best
finite value after each evaluation (null before the first) and each ask's latency.
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


def make_study(engine, seed):
    import optuna

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

    if engine == "tpe":
        sampler = optuna.samplers.TPESampler(seed=seed)
    elif engine == "gp":
        # The benchmark objectives are noiseless; this is GPSampler's setting for that.
        sampler = optuna.samplers.GPSampler(seed=seed)
    else:
        raise ValueError(f"unknown engine {engine!r}")
    return optuna.create_study(direction="minimize", sampler=sampler)


def run_one(engine, problem, seed):
    from optuna.trial import TrialState

    study = make_study(engine, seed)
    dists = distributions(problem["space"])
    f = objective(problem["name"])
    best = math.inf
    best_so_far, ask_ms, failed = [], [], 0
    for _ in range(problem["budget"]):
        start = time.perf_counter()
        trial = study.ask(dists)
        ask_ms.append((time.perf_counter() - start) * 1000)
        value = f(trial.params)
        if math.isfinite(value):
            study.tell(trial, value)
            best = min(best, value)
        else:
            study.tell(trial, state=TrialState.FAIL)
            failed += 1
        best_so_far.append(best if math.isfinite(best) else None)
    return {
        "engine": ENGINE_NAMES[engine],
        "problem": problem["name"],
        "seed": seed,
        "bestSoFar": best_so_far,
        "askMs": ask_ms,
        "failed": failed,
    }


def regret_job(job, out):
    import optuna
    import torch

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # Shares the machine with the TypeScript engines running at the same time.
    torch.set_num_threads(job["torchThreads"])
    for engine in job["engines"]:
        for problem in job["problems"]:
            start = time.perf_counter()
            for seed in job["seeds"]:
                out.write(json.dumps(run_one(engine, problem, seed)) + "\n")
                out.flush()
            elapsed = time.perf_counter() - start
            print(
                f"[optuna] {ENGINE_NAMES[engine]} {problem['name']}: {len(job['seeds'])} seeds in {elapsed:.1f}s",
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
