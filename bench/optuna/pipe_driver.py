"""Runs Optuna's samplers for bench/constrained and bench/multi-objective, over a pipe.

The problems live only in TypeScript (bench/optuna-pipe.ts): this driver asks
Optuna for a point, writes {"params": {...}} as one JSON line on stdout, and reads
the evaluation back as one line on stdin: {"value": v, "constraints": [c, ...]}
(feasible when every c <= 0), {"values": [v1, v2, ...]} for several objectives,
or {"crashed": true}, which is told as a failed trial.

    pipe_driver.py ENGINE SEED SPACE_JSON BUDGET [OBJECTIVES]   (ENGINE: gp, tpe or nsga2)

After BUDGET evaluations it writes {"done": true, "askMs": [...]} and exits.
"""
import json
import sys
import time
import warnings


def main():
    engine, seed, space, budget = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4])
    objectives = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    import optuna
    import torch
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    torch.set_num_threads(1)

    def constraints(trial):
        return trial.user_attrs["constraints"]

    if engine == "gp":
        sampler = optuna.samplers.GPSampler(seed=seed, constraints_func=constraints)
    elif engine == "tpe":
        sampler = optuna.samplers.TPESampler(seed=seed, constraints_func=constraints)
    elif engine == "nsga2":
        # A population of 10 gives the small budgets of the bench several generations.
        sampler = optuna.samplers.NSGAIISampler(seed=seed, population_size=10, constraints_func=constraints)
    else:
        raise SystemExit(f"unknown engine {engine!r}")
    study = optuna.create_study(directions=["minimize"] * objectives, sampler=sampler)
    dists = {name: optuna.distributions.FloatDistribution(spec["low"], spec["high"]) for name, spec in space.items()}
    ask_ms = []
    for _ in range(budget):
        start = time.perf_counter()
        trial = study.ask(dists)
        ask_ms.append((time.perf_counter() - start) * 1000)
        print(json.dumps({"params": trial.params}), flush=True)
        outcome = json.loads(sys.stdin.readline())
        if outcome.get("crashed"):
            study.tell(trial, state=TrialState.FAIL)
            continue
        trial.set_user_attr("constraints", outcome.get("constraints", []))
        study.tell(trial, outcome["values"] if "values" in outcome else outcome["value"])
    print(json.dumps({"done": True, "askMs": ask_ms}), flush=True)


if __name__ == "__main__":
    main()
