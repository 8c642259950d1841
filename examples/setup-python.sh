#!/usr/bin/env bash
# Creates examples/.venv for the Python examples unless it is already usable:
#   bash examples/setup-python.sh        torch (the tiny language model, the main job)
#   bash examples/setup-python.sh --hf   also transformers and accelerate (the Trainer example and its tests)
# torch is pinned: the pinned version installs a CPU wheel from this machine's local mirror,
# while an unpinned `torch` resolves to CUDA builds of several GB. One retry per index:
# where an index is unreachable (no internet, only a mirror), pip's default five retries
# with backoff add minutes.
set -euo pipefail
cd "$(dirname "$0")"
packages=(torch==2.13.0 numpy)
modules="torch"
if [ "${1:-}" = "--hf" ]; then
  packages+=(transformers==5.18.0 accelerate==1.15.0)
  modules="torch, transformers, accelerate"
fi
if [ -x .venv/bin/python ] && .venv/bin/python -c "import ${modules}" 2>/dev/null; then
  exit 0
fi
echo "setting up examples/.venv (python3 -m venv; ${packages[*]})..." >&2
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check --retries 1 --timeout 15 "${packages[@]}"
.venv/bin/python -c "import ${modules}; print('examples/.venv: ${modules} ready')" >&2
