"""Runs Optuna's samplers with constraints_func for bench/constrained/run.ts, over a pipe.

The problems live only in TypeScript: this driver asks Optuna for a point, writes
{"params": {...}} as one JSON line on stdout, and reads the evaluation back as one
line on stdin: {"value": v, "constraints": [c, ...]} (feasible when every c <= 0)
or {"crashed": true}, which is told as a failed trial.

    optuna_driver.py ENGINE SEED SPACE_JSON BUDGET     (ENGINE: gp or tpe)

After BUDGET evaluations it writes {"done": true, "askMs": [...]} and exits.
"""
import json
import sys
import time
import warnings


def main():
    engine, seed, space, budget = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4])
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
    else:
        raise SystemExit(f"unknown engine {engine!r}")
    study = optuna.create_study(direction="minimize", sampler=sampler)
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
        trial.set_user_attr("constraints", outcome["constraints"])
        study.tell(trial, outcome["value"])
    print(json.dumps({"done": True, "askMs": ask_ms}), flush=True)


if __name__ == "__main__":
    main()
