#!/bin/sh
# A simulated training run for bench/orchestrator: it "trains" for $TRIAL_SECONDS
# (±20%, fixed per trial so that finishes spread out as real runs do), printing a
# power-law learning curve in $STEPS progress lines and then the final loss.
# It appends "<start ns> <end ns> <trial dir> <CUDA_VISIBLE_DEVICES>" to
# $BENCH_EVENTS, so that the bench can measure how long each slot sat idle.
# Usage: simulated-trial.sh X (a number in [0, 1], the trial's parameter)
set -eu
start=$(date +%s%N)
x=$1
steps=${STEPS:-5}
# One awk call computes the step length and the whole curve; the shell only sleeps.
plan=$(awk -v x="$x" -v seconds="$TRIAL_SECONDS" -v steps="$steps" -v trial="$BAYESTUNE_TRIAL" 'BEGIN {
  jitter = 0.8 + 0.4 * ((trial * 0.6180339887) - int(trial * 0.6180339887));
  printf "%.4f", seconds * jitter / steps;
  floor = 1 + (x - 0.3) * (x - 0.3);
  for (s = 1; s <= steps; s++) printf " %.6f", floor + 2 * s ^ -0.5;
}')
step_seconds=${plan%% *}
step=0
for loss in ${plan#* }; do
  step=$((step + 1))
  [ "$step_seconds" = "0.0000" ] || sleep "$step_seconds"
  echo "{\"step\": $step, \"loss\": $loss}"
done
echo "{\"final\": true, \"loss\": $loss}"
echo "$start $(date +%s%N) $BAYESTUNE_TRIAL_DIR ${CUDA_VISIBLE_DEVICES:-}" >> "$BENCH_EVENTS"
