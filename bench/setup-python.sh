#!/usr/bin/env bash
# Creates bench/.venv with Optuna, the CPU torch build GPSampler needs, and greenlet
# (GPSampler falls back to a slower sequential L-BFGS-B without it).
# torch is pinned: the pinned version installs a CPU wheel from the local mirror,
# while an unpinned `torch` resolves to multi-GB CUDA builds.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv bench/.venv
bench/.venv/bin/pip install --quiet --retries 1 --timeout 15 optuna scipy scikit-learn greenlet torch==2.13.0
bench/.venv/bin/python -c "import optuna, torch, scipy, sklearn; print('optuna', optuna.__version__, 'torch', torch.__version__, 'scipy', scipy.__version__, 'scikit-learn', sklearn.__version__)"
