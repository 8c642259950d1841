#!/usr/bin/env bash
# The main job: tune the tiny GPT of examples/tiny-lm on this machine (embedded mode, no
# Redis), then train it once with PyTorch-like default settings at the same budget to
# show what the tuning bought. About 4 minutes on 2 CPU cores.
#
#   bash examples/tiny-lm/main.sh          # CPU: tiny model, 16 trials of 300 steps on 2 slots
#   bash examples/tiny-lm/main.sh --gpu    # one GPU: a ~10M-parameter model, 24 trials of 2000 steps
set -euo pipefail
cd "$(dirname "$0")/../.."

study=examples/tiny-lm/study.yaml
train_args=(--steps 300 --horizon 300 --eval-every 300)
tune_args=(--slots 2)
if [ "${1:-}" = "--gpu" ]; then
  study=examples/tiny-lm/study-gpu.yaml
  train_args=(--size gpu --steps 2000 --horizon 2000 --eval-every 2000)
  tune_args=(--gpus 0)
fi

bash examples/setup-python.sh
npm run build --silent
# A run directory of its own each time: the store in it keeps the study (rerunning tune with
# the same --work-dir would resume it), the trial folders hold each trial's output.
run_dir=".bayestune/tiny-lm-$(date -u +%Y%m%dT%H%M%SZ)"
node apps/cli/dist/main.js tune "$study" "${tune_args[@]}" --work-dir "$run_dir"
echo "(the study is kept in $run_dir/studies.sqlite: node apps/cli/dist/main.js status --store $run_dir/studies.sqlite)"

echo
echo "PyTorch-like defaults (lr 1e-3, batch 32, no warmup, no dropout, beta2 0.999, no weight decay), same budget:"
# Outside a trial the client's trial_dir() is the working directory; give the checkpoint
# a directory of its own so that the run leaves nothing in the checkout.
defaults_dir=.bayestune/defaults-run
mkdir -p "$defaults_dir"
BAYESTUNE_TRIAL_DIR="$defaults_dir" PYTHONPATH=clients/python \
  examples/.venv/bin/python examples/tiny-lm/train.py "${train_args[@]}" \
  | python3 -c 'import json, sys; final = json.loads(sys.stdin.read().splitlines()[-1]); print("  val_loss =", final["val_loss"])'
