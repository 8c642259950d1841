"""Hugging Face Trainer support: a TrainerCallback that reports to the bayestune trial.

Example::

    from transformers import Trainer
    from bayestune_client import params
    from bayestune_client.hf import BayestuneCallback

    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=valid,
                      callbacks=[BayestuneCallback(metric="eval_loss")])
    trainer.train()

Every evaluation is reported as a progress line (``report(step, **metrics)``); when
the worker asks the trial to stop (pruned or cancelled) training stops at the next
step; at the end the callback reports the final line with the best evaluation's
metrics and the best checkpoint's path (``state.best_model_checkpoint`` when the
Trainer tracks one, else the last checkpoint it saved), and frees the GPU memory
the run cached.

Under a multi-fidelity scheduler use ``final="last"``: a rung's result must be
the value at its budget, and the checkpoint a promotion resumes from
(``trainer.train(resume_from_checkpoint=checkpoint())``) must be the last one.

Importing this module needs ``transformers``; the rest of the client does not.
"""

from __future__ import annotations

import gc
import math
from typing import Any, Dict, Optional

from transformers import TrainerCallback

from . import report, report_checkpoint, report_final, should_stop

__all__ = ["BayestuneCallback"]


class BayestuneCallback(TrainerCallback):
    """Reports a Trainer run's evaluations to its bayestune trial.

    ``metric`` is the evaluation metric that is the study's objective (the
    Trainer prefixes evaluation metrics with ``eval_``); ``greater_is_better``
    says which evaluation is the best one to report at the end. A NaN metric is
    reported as null, which the worker treats as a diverged run.
    """

    def __init__(self, metric: str = "eval_loss", greater_is_better: bool = False, final: str = "best") -> None:
        if final not in ("best", "last"):
            raise ValueError(f"final must be 'best' or 'last', got {final!r}")
        self.metric = metric
        self.greater_is_better = greater_is_better
        self.final = final
        self.best: Optional[Dict[str, float]] = None
        self.last: Optional[Dict[str, float]] = None
        self.last_checkpoint: Optional[str] = None

    def _better(self, metrics: Dict[str, float]) -> bool:
        value = metrics.get(self.metric)
        if value is None or not math.isfinite(value):
            return False
        if self.best is None:
            return True
        best = self.best[self.metric]
        return value > best if self.greater_is_better else value < best

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: Optional[Dict[str, float]] = None, **kwargs: Any) -> None:
        numeric = {key: value for key, value in (metrics or {}).items() if isinstance(value, (int, float)) and not isinstance(value, bool)}
        report(state.global_step, **numeric)
        value = numeric.get(self.metric)
        self.last = dict(numeric, step=state.global_step) if value is not None and math.isfinite(value) else None
        if self._better(numeric):
            self.best = dict(numeric, step=state.global_step)
        if should_stop():
            control.should_training_stop = True

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if should_stop():
            control.should_training_stop = True

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        # The Trainer names its checkpoints checkpoint-<step> under output_dir.
        import os

        self.last_checkpoint = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
        report_checkpoint(self.last_checkpoint)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.final == "best":
            chosen, checkpoint = self.best, getattr(state, "best_model_checkpoint", None) or self.last_checkpoint
        else:
            chosen, checkpoint = self.last, self.last_checkpoint
        if chosen is None:
            # No finite evaluation: a diverged (or never evaluated) run is a failed trial.
            report_final(**{self.metric: float("nan")})
        else:
            metrics = dict(chosen)
            step = int(metrics.pop("step"))
            report_final(checkpoint=checkpoint, step=step, **metrics)
        _free_accelerator_memory()


def _free_accelerator_memory() -> None:
    """Drops Python's references and the CUDA caching allocator's blocks, so the next trial on this GPU starts clean."""
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:  # torch is optional for the client; without it there is nothing to free
        pass
