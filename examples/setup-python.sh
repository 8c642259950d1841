#!/usr/bin/env bash
# Creates examples/.venv for the Python examples (the tiny language model) unless it is already usable.
# torch is pinned: the pinned version installs a CPU wheel from this machine's local mirror,
# while an unpinned `torch` resolves to CUDA builds of several GB.
set -euo pipefail
cd "$(dirname "$0")"
if [ -x .venv/bin/python ] && .venv/bin/python -c "import torch" 2>/dev/null; then
  exit 0
fi
echo "setting up examples/.venv (python3 -m venv, torch==2.13.0 CPU)..." >&2
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check torch==2.13.0 numpy
.venv/bin/python -c "import torch; print('examples/.venv: torch', torch.__version__)" >&2
