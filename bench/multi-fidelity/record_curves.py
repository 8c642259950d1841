"""Records a second set of real learning curves for the multi-fidelity bench: six knobs, costs in seconds.

The first set (record_lm_curves.py, lm-curves.json) covers three knobs of the
tiny GPT at a fixed batch size, so every step costs the same. This one trains
the "mini" GPT of examples/tiny-lm (one layer deeper than "tiny") over all six
knobs of examples/tiny-lm/study.yaml, batch size included, and records for
each evaluation the seconds of training so far: a step at batch 128 costs
several times a step at batch 8, and the bench can charge an engine for
seconds rather than steps.

Budget: 384 steps. A first try at 512 steps measured 35 s of training for a
configuration at batch 40 (about 70 ms a step on one core of the recording
machine, with dropout 0.09), which put 160 configurations at
about 105 minutes on one core; 384 steps brings them to about 80.

    nice -n 19 examples/.venv/bin/python bench/multi-fidelity/record_curves.py [--configs 160]

Each configuration of a scrambled Sobol design (seed 0) trains with its own
hyperparameters from the same seed to the full budget (cosine schedule over
that budget), one process on one thread, and is evaluated on the held-out text
at about half-octave steps (16, 24, 32, 48, 64, 96, 128, 192, 256, 384). A diverged run
(non-finite validation loss) stops at the evaluation that saw it, with loss null.

Robust to being stopped: each finished configuration is appended as one JSON
line to the partial file (git-ignored) and skipped when the script starts
again; when all are there it writes the final JSON (mini-curves.json), which
`--finish` also does from whatever the partial file holds (with a note saying
what is missing). The design is a prefix-stable sequence: --configs can grow
between runs. Recording settings live in the partial file's first line, and a
restart with other settings is refused.

Seconds: the third element of each curve point is the wall-clock seconds of
training (forward, backward, optimiser steps, batch sampling) since the run
started, cumulative, without the evaluations and without building the model;
each run also records the same in process CPU seconds ("cpu") and the whole
run's wall-clock seconds including setup and evaluations ("seconds").
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import sys
import time
from datetime import datetime, timezone

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "bench", "multi-fidelity")
sys.path.insert(0, os.path.join(ROOT, "examples", "tiny-lm"))
from tiny_lm import SIZES, Hyperparameters, Trainer  # noqa: E402

# The space the curves cover, in the study's own terms (lm-curves.ts hands it to
# the study as is). Adam's beta2 is tuned as 1 - beta2 on a log scale, so 0.9,
# 0.99 and 0.999 each get a third of the design; beta2 = 1 - one_minus_beta2.
SPACE = {
    "lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
    "batch_size": {"type": "int", "low": 8, "high": 128, "log": True},
    "warmup_steps": {"type": "int", "low": 0, "high": 200},
    "dropout": {"type": "float", "low": 0.0, "high": 0.3},
    "one_minus_beta2": {"type": "float", "low": 1e-3, "high": 1e-1, "log": True},
    "weight_decay": {"type": "float", "low": 1e-5, "high": 1e-1, "log": True},
}

SECONDS_NOTE = (
    "curve[i][2]: wall-clock seconds of training since the run started, cumulative, at that evaluation: "
    "forward, backward, optimiser and batch sampling only, without building the model and without the "
    "evaluations (each evaluation is 8 batches of 32 held-out windows, the same for every run); "
    "one process, torch.set_num_threads(1), under nice -n 19 on a shared machine. "
    "runs[].cpu[i]: the same interval in process CPU seconds (less sensitive to other load); "
    "runs[].seconds: the whole run's wall-clock seconds, setup and evaluations included; "
    "runs[].load: the 1-minute load average when the run started"
)


def ladder(min_steps: int, max_steps: int) -> list[int]:
    """min_steps times 1, 1.5, 2, 3, 4, 6 ... (about half octaves, round numbers), up to and with max_steps.

    From 16 to 384: 16, 24, 32, 48, 64, 96, 128, 192, 256, 384.
    """
    steps = {max_steps}
    base = min_steps
    while base < max_steps:
        steps |= {base, round(1.5 * base)}
        base *= 2
    return sorted(s for s in steps if s <= max_steps)


def decode(unit: list[float]) -> dict:
    """A point of the unit cube as SearchSpace.decode reads it (same codecs: log floats, log ints, grid ints)."""
    params: dict = {}
    for u, (name, spec) in zip(unit, SPACE.items()):
        low, high = spec["low"], spec["high"]
        if spec["type"] == "float":
            if spec.get("log"):
                value = math.exp(math.log(low) + u * (math.log(high) - math.log(low)))
            else:
                value = low + u * (high - low)
            params[name] = min(high, max(low, value))
        elif spec.get("log"):
            # LogIntCodec: integer v owns [v - 0.5, v + 0.5], linear in ln between ln(low - 0.5) and ln(high + 0.5).
            x = math.exp(math.log(low - 0.5) + u * (math.log(high + 0.5) - math.log(low - 0.5)))
            params[name] = int(min(high, max(low, round(x))))
        else:
            # GridCodec with step 1: level floor(u * levels).
            levels = high - low + 1
            params[name] = int(low + min(levels - 1, max(0, math.floor(u * levels))))
    return params


def hyperparameters(params: dict) -> Hyperparameters:
    known = {key: value for key, value in params.items() if key != "one_minus_beta2"}
    return Hyperparameters.from_params({**known, "beta2": 1.0 - params["one_minus_beta2"]})


def record(index: int, params: dict, size: str, steps: list[int]) -> dict:
    torch.set_num_threads(1)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    trainer = Trainer(hyperparameters(params), SIZES[size], horizon=steps[-1], seed=0)

    # Evaluation time is measured around the trainer's own validation_loss and left out of the seconds.
    evaluating = {"wall": 0.0, "cpu": 0.0}
    validation_loss = trainer.validation_loss

    def timed_validation_loss() -> float:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return validation_loss()
        finally:
            evaluating["wall"] += time.perf_counter() - wall
            evaluating["cpu"] += time.process_time() - cpu

    trainer.validation_loss = timed_validation_loss  # type: ignore[method-assign]
    curve: list[list] = []
    cpu: list[float] = []
    train_wall, train_cpu = time.perf_counter(), time.process_time()

    def on_eval(step: int, _train: float, valid: float) -> bool:
        curve.append([step, valid if math.isfinite(valid) else None, round(time.perf_counter() - train_wall - evaluating["wall"], 4)])
        cpu.append(round(time.process_time() - train_cpu - evaluating["cpu"], 4))
        return math.isfinite(valid)

    for target in steps:
        before = len(curve)
        trainer.train_to(target, on_eval, eval_every=10**9)  # evaluates once, at `target`
        if len(curve) == before or curve[-1][1] is None:
            break
    seconds = time.perf_counter() - started
    return {"index": index, "params": params, "curve": curve, "seconds": round(seconds, 3), "cpu": cpu, "evalSeconds": round(evaluating["wall"], 3), "load": round(load, 2)}


def read_partial(path: str) -> tuple[dict | None, dict[int, dict]]:
    """The header and the runs by index; a torn last line (killed mid-write) is dropped from the file."""
    if not os.path.exists(path):
        return None, {}
    header, runs, good = None, {}, 0
    with open(path, "rb") as file:
        data = file.read()
    for line in data.splitlines(keepends=True):
        try:
            entry = json.loads(line)
        except ValueError:
            break
        if not line.endswith(b"\n"):
            break
        good += len(line)
        if "header" in entry:
            header = entry["header"]
        else:
            runs[entry["index"]] = entry
    if good < len(data):
        print(f"{path}: dropping a torn last line ({len(data) - good} bytes)", file=sys.stderr)
        with open(path, "r+b") as file:
            file.truncate(good)
    return header, runs


def append_line(path: str, entry: dict) -> None:
    with open(path, "a", encoding="utf-8") as file:
        file.write(json.dumps(entry) + "\n")
        file.flush()
        os.fsync(file.fileno())


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as file:
            model = next(line.split(":", 1)[1].strip() for line in file if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} logical CPUs (shared), Python {platform.python_version()}, torch {torch.__version__}, 1 thread"


def finish(args: argparse.Namespace, header: dict, runs: dict[int, dict], command: str) -> None:
    wanted = range(args.configs)
    missing = [i for i in wanted if i not in runs]
    ordered = [runs[i] for i in wanted if i in runs]
    size = SIZES[header["size"]]
    ratios = sorted(run["curve"][-1][2] / run["cpu"][-1] for run in ordered if run["cpu"] and run["cpu"][-1] > 0)
    contention = (
        f"Wall-clock over CPU training seconds per run: median {ratios[len(ratios) // 2]:.2f}, 90th percentile {ratios[int(0.9 * (len(ratios) - 1))]:.2f}, "
        f"max {ratios[-1]:.2f} (other jobs on the shared machine slow some runs' wall clock; cpu is the cleaner cost). "
        if ratios
        else ""
    )
    out = {
        "model": (
            f"examples/tiny-lm, size {header['size']} ({size.layers} layers, {size.heads} heads, width {size.width}, "
            f"context {size.context}, byte-level), batch size tuned, AdamW, linear warmup then cosine to a tenth at {header['maxSteps']} steps, seed 0"
        ),
        "data": "pydoc_data.topics, last 10% held out; validation loss on a fixed sample of 8 x 32 held-out windows",
        "command": command,
        "recorded": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "minutes": round(sum(run["seconds"] for run in ordered) / 60, 1),
        "space": header["space"],
        "minSteps": header["steps"][0],
        "maxSteps": header["maxSteps"],
        "evaluations": header["steps"],
        "seconds": SECONDS_NOTE,
        "notes": (
            "one_minus_beta2 is 1 - Adam's beta2 (beta2 from 0.9 to 0.999); minutes is the sum of the runs' wall-clock seconds. "
            + contention
            + (
                f"INCOMPLETE: {len(ordered)} of {args.configs} configurations recorded; missing design indices {missing[:20]}{' ...' if len(missing) > 20 else ''}."
                if missing
                else f"All {args.configs} configurations of the design recorded."
            )
        ),
        "runs": [{key: run[key] for key in ("params", "curve", "seconds", "cpu", "evalSeconds", "load")} for run in ordered],
    }
    # One run per line: readable diffs, and a file a tenth the size of indent-per-number.
    head = json.dumps({key: value for key, value in out.items() if key != "runs"}, indent=1)
    body = ",\n".join("  " + json.dumps(run) for run in out["runs"])
    with open(args.out, "w", encoding="utf-8") as file:
        file.write(head[:-2] + ',\n "runs": [\n' + body + "\n ]\n}\n")
    json.load(open(args.out, encoding="utf-8"))  # the hand-assembled file must parse
    print(f"wrote {args.out}: {len(ordered)} runs{f', {len(missing)} missing' if missing else ''}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", type=int, default=160, help="design points (default 160)")
    parser.add_argument("--size", default="mini", choices=sorted(SIZES))
    parser.add_argument("--min-steps", type=int, default=16)
    parser.add_argument("--max-steps", type=int, default=384)
    parser.add_argument("--limit", type=int, help="record at most this many new configurations, then stop (for timing)")
    parser.add_argument("--finish", action="store_true", help="only assemble the final JSON from the partial file")
    parser.add_argument("--partial", default=os.path.join(HERE, "mini-curves.partial.jsonl"))
    parser.add_argument("--out", default=os.path.join(HERE, "mini-curves.json"))
    args = parser.parse_args()

    torch.set_num_threads(1)
    steps = ladder(args.min_steps, args.max_steps)
    wanted_header = {"size": args.size, "maxSteps": args.max_steps, "steps": steps, "space": SPACE, "design": "scrambled Sobol, seed 0", "seed": 0}
    header, runs = read_partial(args.partial)
    if header is not None and header != wanted_header:
        sys.exit(f"{args.partial} was recorded with other settings:\n  {json.dumps(header)}\nnot\n  {json.dumps(wanted_header)}\nmove it away or pass the same options")
    if header is None:
        append_line(args.partial, {"header": wanted_header})
        header = wanted_header
    defaults = {"--configs": 160, "--size": "mini", "--min-steps": 16, "--max-steps": 384}
    given = {"--configs": args.configs, "--size": args.size, "--min-steps": args.min_steps, "--max-steps": args.max_steps}
    options = "".join(f" {flag} {value}" for flag, value in given.items() if value != defaults[flag])
    command = f"nice -n 19 examples/.venv/bin/python bench/multi-fidelity/record_curves.py{options}"
    if args.finish:
        finish(args, header, runs, command)
        return

    design = torch.quasirandom.SobolEngine(len(SPACE), scramble=True, seed=0).draw(args.configs).tolist()
    todo = [i for i in range(args.configs) if i not in runs]
    if args.limit is not None:
        todo = todo[: args.limit]
    print(f"{len(runs)} of {args.configs} configurations already in {args.partial}; recording {len(todo)}", file=sys.stderr)
    started = time.perf_counter()
    for done, index in enumerate(todo, 1):
        run = record(index, decode(design[index]), args.size, steps)
        append_line(args.partial, run)
        runs[index] = run
        p = run["params"]
        last = run["curve"][-1]
        elapsed = time.perf_counter() - started
        print(
            f"[{datetime.now().strftime('%H:%M:%S')}] #{index} lr={p['lr']:.2e} batch={p['batch_size']} warmup={p['warmup_steps']} dropout={p['dropout']:.2f} "
            f"1-beta2={p['one_minus_beta2']:.1e} wd={p['weight_decay']:.1e}: loss {last[1]} at step {last[0]}, train {last[2]:.1f} s, "
            f"run {run['seconds']:.1f} s (load {run['load']}); {done}/{len(todo)} in {elapsed / 60:.1f} min",
            file=sys.stderr,
            flush=True,
        )
    if all(i in runs for i in range(args.configs)):
        finish(args, header, runs, command)


if __name__ == "__main__":
    main()
