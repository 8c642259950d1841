#!/usr/bin/env bash
# The dashboard's end-to-end test drives Debian's Chromium through playwright-core
# (never a browser download). Installs the chromium package when it is missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "setup-browser: /usr/bin/chromium is missing and there is no apt-get; install Chromium at /usr/bin/chromium" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "setup-browser: /usr/bin/chromium is missing; install it as root: apt-get install chromium" >&2
    exit 1
  fi
  sudo="sudo"
fi
echo "setup-browser: installing Debian's chromium package for the dashboard's browser test" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version >&2
