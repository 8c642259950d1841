"""Optuna's parameter-importance evaluators over a pipe, for bench/importance/run.ts.

Each stdin line is a JSON object {"space": {name: [low, high]}, "trials": [{"params": {...},
"value": v}], "seed": s}; each stdout line answers it with {"fanova": {...}, "mdi": {...},
"ped-anova": {...}}: each evaluator's normalised importances (Optuna's defaults otherwise).
"""
import json
import sys
import warnings

import optuna
from optuna.distributions import FloatDistribution
from optuna.importance import (
    FanovaImportanceEvaluator,
    MeanDecreaseImpurityImportanceEvaluator,
    PedAnovaImportanceEvaluator,
    get_param_importances,
)

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")


def importances(request):
    distributions = {name: FloatDistribution(low, high) for name, (low, high) in request["space"].items()}
    study = optuna.create_study(direction="minimize")
    study.add_trials(
        [optuna.trial.create_trial(params=t["params"], distributions=distributions, value=t["value"]) for t in request["trials"]]
    )
    seed = request["seed"]
    evaluators = {
        "fanova": FanovaImportanceEvaluator(seed=seed),
        "mdi": MeanDecreaseImpurityImportanceEvaluator(seed=seed),
        "ped-anova": PedAnovaImportanceEvaluator(),
    }
    return {name: dict(get_param_importances(study, evaluator=evaluator)) for name, evaluator in evaluators.items()}


for line in sys.stdin:
    if line.strip():
        print(json.dumps(importances(json.loads(line))), flush=True)
