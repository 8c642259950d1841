"""A small GPT-style language model, its data and its training loop.

Byte-level: the vocabulary is the 256 byte values, so no tokenizer and nothing to
download. The text is Python's own documentation topics (``pydoc_data.topics``,
shipped with every CPython), about 466 kB; the last 10% is a fixed held-out split.

Training is deterministic for a given seed and resumable: a checkpoint holds the
model, the optimiser, the step and every random-number state, so training to
step N, saving, and resuming to step M gives the same losses as training to M
in one go (``test_tiny_lm.py`` checks this).
"""
from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from typing import Callable, Dict, Tuple

import torch
from torch import nn
from torch.nn import functional as F

VOCAB = 256


@dataclass(frozen=True)
class ModelSize:
    layers: int
    heads: int
    width: int
    context: int


# "tiny" trains at roughly 100 steps/s on one CPU core; "mini" is one layer deeper (about 1.4x the
# time per step; the second set of multi-fidelity bench curves); "gpu" is a ~10M-parameter model for one GPU.
SIZES: Dict[str, ModelSize] = {
    "tiny": ModelSize(layers=2, heads=4, width=64, context=64),
    "mini": ModelSize(layers=3, heads=4, width=64, context=64),
    "small": ModelSize(layers=4, heads=4, width=128, context=128),
    "gpu": ModelSize(layers=6, heads=6, width=384, context=256),
}


@dataclass(frozen=True)
class Hyperparameters:
    lr: float = 1e-3
    batch_size: int = 32
    warmup_steps: int = 0
    dropout: float = 0.0
    beta2: float = 0.999
    weight_decay: float = 0.0

    @staticmethod
    def from_params(values: Dict[str, object]) -> "Hyperparameters":
        """Picks the known keys out of a trial's params (unknown keys are the caller's business)."""
        defaults = asdict(Hyperparameters())
        known = {key: type(defaults[key])(values[key]) for key in defaults if key in values}  # type: ignore[operator]
        return Hyperparameters(**known)


def load_text() -> bytes:
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key] for key in sorted(topics)).encode("utf-8")


def split(data: torch.Tensor, held_out: float = 0.1) -> Tuple[torch.Tensor, torch.Tensor]:
    cut = int(len(data) * (1 - held_out))
    return data[:cut], data[cut:]


class Block(nn.Module):
    def __init__(self, size: ModelSize, dropout: float) -> None:
        super().__init__()
        self.heads = size.heads
        self.norm1 = nn.LayerNorm(size.width)
        self.qkv = nn.Linear(size.width, 3 * size.width)
        self.proj = nn.Linear(size.width, size.width)
        self.norm2 = nn.LayerNorm(size.width)
        self.mlp = nn.Sequential(nn.Linear(size.width, 4 * size.width), nn.GELU(), nn.Linear(4 * size.width, size.width))
        self.dropout = dropout
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, width = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(width, dim=2)
        shape = (batch, length, self.heads, width // self.heads)
        q, k, v = (t.view(shape).transpose(1, 2) for t in (q, k, v))
        attention = F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0)
        x = x + self.drop(self.proj(attention.transpose(1, 2).reshape(batch, length, width)))
        return x + self.drop(self.mlp(self.norm2(x)))


class TinyGPT(nn.Module):
    def __init__(self, size: ModelSize, dropout: float) -> None:
        super().__init__()
        self.size = size
        self.tokens = nn.Embedding(VOCAB, size.width)
        self.positions = nn.Embedding(size.context, size.width)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(Block(size, dropout) for _ in range(size.layers))
        self.norm = nn.LayerNorm(size.width)
        self.head = nn.Linear(size.width, VOCAB, bias=False)
        self.head.weight = self.tokens.weight  # tied: fewer parameters, better small models
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(idx.shape[1], device=idx.device)
        x = self.drop(self.tokens(idx) + self.positions(positions))
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))

    @torch.no_grad()
    def generate(
        self,
        prompt: bytes,
        max_tokens: int,
        temperature: float = 1.0,
        top_p: float = 1.0,
        frequency_penalty: float = 0.0,
        presence_penalty: float = 0.0,
        generator: torch.Generator | None = None,
    ) -> bytes:
        """Samples up to ``max_tokens`` bytes after ``prompt`` with OpenAI's sampling parameters.

        The penalties lower the logit of each byte already generated, by
        ``frequency_penalty`` per occurrence plus ``presence_penalty`` once (as
        the OpenAI API defines them); temperature 0 is greedy; top_p keeps the
        smallest set of bytes whose probability reaches top_p.
        """
        self.eval()
        device = next(self.parameters()).device
        idx = torch.tensor(list(prompt) or [10], dtype=torch.long, device=device).view(1, -1)
        counts = torch.zeros(VOCAB, device=device)
        out = bytearray()
        for _ in range(max_tokens):
            logits = self(idx[:, -self.size.context :])[0, -1] - frequency_penalty * counts - presence_penalty * (counts > 0).float()
            if temperature <= 0:
                token = int(logits.argmax())
            else:
                probs = torch.softmax(logits / temperature, dim=-1)
                sorted_probs, order = probs.sort(descending=True)
                keep = sorted_probs.cumsum(0) - sorted_probs < top_p  # always keeps the most likely byte
                kept = sorted_probs * keep
                token = int(order[torch.multinomial(kept / kept.sum(), 1, generator=generator)])
            out.append(token)
            counts[token] += 1
            idx = torch.cat([idx, torch.tensor([[token]], device=device)], dim=1)
        return bytes(out)


def learning_rate(hp: Hyperparameters, step: int, horizon: int) -> float:
    """Linear warmup to ``hp.lr``, then cosine decay to a tenth of it at ``horizon`` steps.

    The horizon is the study's full budget, not this rung's: a run stopped at a
    low rung and resumed follows the same schedule as one that never stopped.
    """
    if step < hp.warmup_steps:
        return hp.lr * (step + 1) / hp.warmup_steps
    progress = min(1.0, (step - hp.warmup_steps) / max(1, horizon - hp.warmup_steps))
    return hp.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


class Trainer:
    """One training run: build, optionally resume, then ``train_to(step)`` as far as the budget says."""

    def __init__(self, hp: Hyperparameters, size: ModelSize, horizon: int, seed: int = 0, device: str = "cpu") -> None:
        self.hp, self.size, self.horizon, self.device = hp, size, horizon, device
        data = torch.frombuffer(bytearray(load_text()), dtype=torch.uint8).long()
        self.train_data, self.valid_data = split(data)
        torch.manual_seed(seed)
        self.model = TinyGPT(size, hp.dropout).to(device)
        decay = [p for n, p in self.model.named_parameters() if p.dim() >= 2]
        no_decay = [p for n, p in self.model.named_parameters() if p.dim() < 2]
        groups = [{"params": decay, "weight_decay": hp.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
        self.optimizer = torch.optim.AdamW(groups, lr=hp.lr, betas=(0.9, hp.beta2))
        self.batches = torch.Generator().manual_seed(seed + 1)
        self.step = 0

    def _batch(self, data: torch.Tensor, generator: torch.Generator, batch_size: int) -> Tuple[torch.Tensor, torch.Tensor]:
        starts = torch.randint(len(data) - self.size.context - 1, (batch_size,), generator=generator)
        x = torch.stack([data[s : s + self.size.context] for s in starts.tolist()])
        y = torch.stack([data[s + 1 : s + 1 + self.size.context] for s in starts.tolist()])
        return x.to(self.device), y.to(self.device)

    def train_to(self, steps: int, on_eval: Callable[[int, float, float], bool], eval_every: int) -> None:
        """Trains until ``self.step == steps``; every ``eval_every`` steps (and at the end) calls
        ``on_eval(step, train_loss, valid_loss)``, which returns False to stop early."""
        self.model.train()
        recent = []
        while self.step < steps:
            for group in self.optimizer.param_groups:
                group["lr"] = learning_rate(self.hp, self.step, self.horizon)
            x, y = self._batch(self.train_data, self.batches, self.hp.batch_size)
            loss = F.cross_entropy(self.model(x).view(-1, VOCAB), y.view(-1))
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()
            self.step += 1
            recent.append(loss.item())
            if self.step % eval_every == 0 or self.step == steps:
                train_loss = sum(recent) / len(recent)
                recent = []
                keep_going = on_eval(self.step, train_loss, self.validation_loss())
                self.model.train()
                if not keep_going or not math.isfinite(train_loss):
                    return

    def validation_loss(self, batches: int = 8, batch_size: int = 32) -> float:
        """Mean loss on a fixed sample of the held-out text: the same windows every call and every run."""
        self.model.eval()
        generator = torch.Generator().manual_seed(1234)
        total = 0.0
        with torch.no_grad():
            for _ in range(batches):
                x, y = self._batch(self.valid_data, generator, batch_size)
                total += F.cross_entropy(self.model(x).view(-1, VOCAB), y.view(-1)).item()
        return total / batches

    def save(self, path: str) -> None:
        state = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "step": self.step,
            "batches": self.batches.get_state(),
            "torch_rng": torch.get_rng_state(),
            "size": asdict(self.size),
            "hp": asdict(self.hp),
        }
        # Write then rename: a run killed mid-save never leaves a torn checkpoint behind.
        tmp = f"{path}.tmp"
        torch.save(state, tmp)
        os.replace(tmp, path)

    def load(self, path: str) -> None:
        state = torch.load(path, map_location=self.device, weights_only=False)
        if state["size"] != asdict(self.size):
            raise ValueError(f"checkpoint {path} is for model size {state['size']}, this run uses {asdict(self.size)}")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.step = state["step"]
        self.batches.set_state(state["batches"])
        torch.set_rng_state(state["torch_rng"])

