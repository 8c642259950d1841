"""Records real validation-loss curves of the tiny GPT (examples/tiny-lm) for the multi-fidelity bench.

Trains a scrambled-Sobol design of configurations over (lr, warmup_steps,
dropout) to the full budget, evaluating every rung-sized step, and writes the
curves as JSON. The bench replays them (lm-curves.ts): a proposed configuration
gets the curve of its nearest recorded neighbour, so each engine's decisions
play out on real learning curves without training during the bench.

    examples/.venv/bin/python bench/multi-fidelity/record_lm_curves.py [--configs 64] [--processes 2]

About 25 s per configuration per core on the tiny model; the output is committed,
so the bench itself needs neither Python nor torch.
"""
from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import sys
import time
from datetime import datetime, timezone

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "tiny-lm"))
from tiny_lm import SIZES, Hyperparameters, Trainer  # noqa: E402

# The space the curves cover; lm-curves.ts declares the same one for the study.
SPACE = {
    "lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
    "warmup_steps": {"type": "int", "low": 0, "high": 200},
    "dropout": {"type": "float", "low": 0.0, "high": 0.3},
}
MIN_STEPS, MAX_STEPS, EVAL_EVERY = 27, 729, 27


def decode(unit: list[float]) -> dict:
    lr = math.exp(math.log(1e-4) + unit[0] * (math.log(1e-1) - math.log(1e-4)))
    return {"lr": lr, "warmup_steps": round(unit[1] * 200), "dropout": unit[2] * 0.3}


def record(params: dict) -> dict:
    torch.set_num_threads(1)
    started = time.monotonic()
    trainer = Trainer(Hyperparameters.from_params(params), SIZES["tiny"], horizon=MAX_STEPS, seed=0)
    curve: list[list[float]] = []

    def on_eval(step: int, _train: float, valid: float) -> bool:
        curve.append([step, valid if math.isfinite(valid) else None])
        return math.isfinite(valid)

    trainer.train_to(MAX_STEPS, on_eval, EVAL_EVERY)
    seconds = time.monotonic() - started
    print(f"lr={params['lr']:.2e} warmup={params['warmup_steps']} dropout={params['dropout']:.2f}: {curve[-1][1]} in {seconds:.0f} s", file=sys.stderr)
    return {"params": params, "curve": curve, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", type=int, default=64)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "multi-fidelity", "lm-curves.json"))
    args = parser.parse_args()
    design = torch.quasirandom.SobolEngine(len(SPACE), scramble=True, seed=0).draw(args.configs).tolist()
    configs = [decode(unit) for unit in design]
    started = time.monotonic()
    with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
        runs = pool.map(record, configs)
    out = {
        "model": "examples/tiny-lm, size tiny (2 layers, width 64, context 64, byte-level), batch 32, AdamW, cosine to 729 steps",
        "data": "pydoc_data.topics, last 10% held out",
        "command": f"examples/.venv/bin/python bench/multi-fidelity/record_lm_curves.py --configs {args.configs}",
        "recorded": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.processor() or platform.machine()}, torch {torch.__version__}",
        "minutes": round((time.monotonic() - started) / 60, 1),
        "space": SPACE,
        "minSteps": MIN_STEPS,
        "maxSteps": MAX_STEPS,
        "runs": runs,
    }
    with open(args.out, "w", encoding="utf-8") as file:
        json.dump(out, file, indent=1)
        file.write("\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
