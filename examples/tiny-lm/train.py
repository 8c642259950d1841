"""Trains the tiny GPT (tiny_lm.py) for one bayestune trial.

The trial's params are the hyperparameters; its fidelity is the number of
training steps to reach; a promoted trial resumes from the checkpoint its
previous rung reported, so only the new steps are trained. Validation loss is
reported every ``--eval-every`` steps (the learning curve) and as the result.

Run by hand: ``python train.py --steps 200`` trains with PyTorch-like defaults.
"""
from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bayestune_client import checkpoint, fidelity, params, report, report_final, should_stop, trial_dir  # noqa: E402
from tiny_lm import SIZES, Hyperparameters, Trainer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny")
    parser.add_argument("--steps", type=int, default=None, help="steps to train to when the trial has no fidelity")
    parser.add_argument("--horizon", type=int, default=None, help="steps of the full learning-rate schedule (the study's full budget)")
    parser.add_argument("--eval-every", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per trial; one per trial slot is fastest")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    steps = int(fidelity() or args.steps or 300)
    horizon = args.horizon or steps
    hp = Hyperparameters.from_params(params())
    device = "cuda" if torch.cuda.is_available() else "cpu"
    trainer = Trainer(hp, SIZES[args.size], horizon=horizon, seed=args.seed, device=device)
    resume_from = checkpoint()
    if resume_from is not None:
        trainer.load(resume_from)

    started = time.monotonic()
    last = {"valid": math.nan}

    def on_eval(step: int, train_loss: float, valid_loss: float) -> bool:
        last["valid"] = valid_loss
        report(step, val_loss=valid_loss, train_loss=train_loss, seconds=time.monotonic() - started)
        # A NaN loss is reported as null above, and the worker stops the run as diverged.
        return math.isfinite(valid_loss) and not should_stop()

    trainer.train_to(steps, on_eval, args.eval_every)
    path = os.path.join(trial_dir(), f"step-{trainer.step}.pt")
    trainer.save(path)
    # The constraints' metrics: peak memory (the GPU's when there is one, else this process's RSS) and training time.
    if device == "cuda":
        memory_mb = torch.cuda.max_memory_allocated() / 2**20
    else:
        memory_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    report_final(val_loss=last["valid"], step=trainer.step, checkpoint=path, memory_mb=memory_mb, seconds=time.monotonic() - started)


if __name__ == "__main__":
    main()
