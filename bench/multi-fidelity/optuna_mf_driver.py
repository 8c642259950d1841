"""Optuna's multi-fidelity engines for bench/multi-fidelity/replay-bench.ts, over a pipe.

The curves and the virtual clock live in TypeScript (optuna-replay.ts); this driver
holds one Optuna study at a time and answers one JSON line per request line:

    {"op": "study", "seed": s}                          -> {"ok": true}   (a fresh study)
    {"op": "ask"}                                       -> {"trial": n, "params": {...}}
    {"op": "report", "trial": n, "step": s, "value": v} -> {"prune": bool}
    {"op": "tell", "trial": n, "state": "complete" | "pruned" | "fail", "value": v}
                                                        -> {"ok": true}

    optuna_mf_driver.py ENGINE SPACE_JSON MIN MAX ETA
    ENGINE: tpe-sha (TPESampler + SuccessiveHalvingPruner), tpe-hyperband
    (TPESampler + HyperbandPruner), gp-full (GPSampler, no pruner).
"""
import json
import sys
import warnings


def distributions(space):
    import optuna

    out = {}
    for name, spec in space.items():
        log = bool(spec.get("log", False))
        if spec["type"] == "int":
            out[name] = optuna.distributions.IntDistribution(spec["low"], spec["high"], log=log)
        elif spec["type"] == "float":
            out[name] = optuna.distributions.FloatDistribution(spec["low"], spec["high"], log=log)
        else:
            raise SystemExit(f"unsupported parameter type {spec['type']!r}")
    return out


def main():
    engine, space, low, high, eta = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    import optuna
    import torch
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    torch.set_num_threads(1)
    dists = distributions(space)
    study = None
    trials = {}
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op == "study":
            seed = int(request["seed"])
            if engine == "tpe-sha":
                sampler = optuna.samplers.TPESampler(seed=seed)
                pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=low, reduction_factor=eta)
            elif engine == "tpe-hyperband":
                sampler = optuna.samplers.TPESampler(seed=seed)
                pruner = optuna.pruners.HyperbandPruner(min_resource=low, max_resource=high, reduction_factor=eta)
            elif engine == "gp-full":
                sampler = optuna.samplers.GPSampler(seed=seed)
                pruner = optuna.pruners.NopPruner()
            else:
                raise SystemExit(f"unknown engine {engine!r}")
            # A fixed name: HyperbandPruner assigns brackets by a hash of the study name and trial number.
            study = optuna.create_study(study_name=f"replay-{seed}", direction="minimize", sampler=sampler, pruner=pruner)
            trials = {}
            reply = {"ok": True}
        elif op == "ask":
            trial = study.ask(dists)
            trials[trial.number] = trial
            reply = {"trial": trial.number, "params": trial.params}
        elif op == "report":
            trial = trials[request["trial"]]
            trial.report(request["value"], request["step"])
            reply = {"prune": bool(trial.should_prune())}
        elif op == "tell":
            trial = trials.pop(request["trial"])
            state = request["state"]
            if state == "complete":
                study.tell(trial, request["value"])
            elif state == "pruned":
                study.tell(trial, state=TrialState.PRUNED)
            else:
                study.tell(trial, state=TrialState.FAIL)
            reply = {"ok": True}
        else:
            raise SystemExit(f"unknown op {op!r}")
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
