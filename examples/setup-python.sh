#!/usr/bin/env bash
# Creates examples/.venv for the Python examples (the tiny language model, the Hugging Face
# Trainer example) unless it is already usable.
# torch is pinned: the pinned version installs a CPU wheel from this machine's local mirror,
# while an unpinned `torch` resolves to CUDA builds of several GB.
set -euo pipefail
cd "$(dirname "$0")"
if [ -x .venv/bin/python ] && .venv/bin/python -c "import torch, transformers, accelerate" 2>/dev/null; then
  exit 0
fi
echo "setting up examples/.venv (python3 -m venv, torch==2.13.0 CPU, transformers, accelerate)..." >&2
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check torch==2.13.0 numpy transformers==5.18.0 accelerate==1.15.0
.venv/bin/python -c "import torch, transformers; print('examples/.venv: torch', torch.__version__, 'transformers', transformers.__version__)" >&2
