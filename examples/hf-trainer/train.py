"""Tunes a Hugging Face Trainer run: a small GPT-2 built from a config (random
initialisation, nothing downloaded), trained byte-level on Python's documentation
topics, reporting to bayestune through BayestuneCallback.

The trial's params set the learning rate, warmup, weight decay, Adam beta2 and
batch size; its fidelity is the number of optimiser steps (max_steps), and a
promoted trial resumes from the checkpoint its previous rung reported.
Run by hand: ``python train.py --steps 40`` trains with the defaults below.
"""
from __future__ import annotations

import argparse
import os
import sys

import torch
from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
from bayestune_client import checkpoint, checkpoint_dir, fidelity, params  # noqa: E402
from bayestune_client.hf import BayestuneCallback  # noqa: E402

CONTEXT = 64


class ByteChunks(torch.utils.data.Dataset):
    """Fixed, non-overlapping windows of the text's bytes, as causal-LM examples."""

    def __init__(self, data: bytes) -> None:
        self.ids = torch.tensor(list(data), dtype=torch.long)

    def __len__(self) -> int:
        return len(self.ids) // CONTEXT - 1

    def __getitem__(self, i: int) -> dict:
        window = self.ids[i * CONTEXT : (i + 1) * CONTEXT]
        return {"input_ids": window, "labels": window}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=None, help="max_steps when the trial has no fidelity")
    parser.add_argument("--eval-every", type=int, default=10)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--final", choices=["best", "last"], default="best", help="which evaluation is the trial's result (last under a scheduler)")
    args = parser.parse_args()
    torch.set_num_threads(1)

    p = params(defaults={"learning_rate": 1e-3, "warmup_steps": 0, "weight_decay": 0.0, "adam_beta2": 0.999, "batch_size": 16})
    steps = int(fidelity() or args.steps or 40)
    from pydoc_data.topics import topics

    text = "\n\n".join(topics[key] for key in sorted(topics)).encode("utf-8")
    cut = int(len(text) * 0.9)
    train, valid = ByteChunks(text[:cut]), torch.utils.data.Subset(ByteChunks(text[cut:]), range(64))

    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=256, n_positions=CONTEXT, n_embd=args.width, n_layer=args.layers, n_head=2))
    training = TrainingArguments(
        # The trial's checkpoint directory: shared by the workers when they have a --checkpoint-dir,
        # so that a promotion landing on another machine resumes from it.
        output_dir=os.path.join(checkpoint_dir(), "hf"),
        max_steps=steps,
        learning_rate=float(p["learning_rate"]),
        warmup_steps=int(p["warmup_steps"]),
        # Constant after warmup: a run resumed at a higher rung keeps the schedule it had.
        lr_scheduler_type="constant_with_warmup",
        weight_decay=float(p["weight_decay"]),
        adam_beta2=float(p["adam_beta2"]),
        per_device_train_batch_size=int(p["batch_size"]),
        per_device_eval_batch_size=32,
        eval_strategy="steps",
        eval_steps=args.eval_every,
        save_strategy="steps",
        save_steps=args.eval_every,
        save_total_limit=3,
        load_best_model_at_end=args.final == "best",
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        logging_strategy="no",
        report_to=[],
        use_cpu=not torch.cuda.is_available(),
        disable_tqdm=True,
        seed=0,
    )
    trainer = Trainer(model=model, args=training, train_dataset=train, eval_dataset=valid, callbacks=[BayestuneCallback(metric="eval_loss", final=args.final)])
    # A promoted trial continues from its last checkpoint (model, optimiser, scheduler, RNG states).
    trainer.train(resume_from_checkpoint=checkpoint())


if __name__ == "__main__":
    main()
