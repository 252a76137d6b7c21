#!/usr/bin/env bash
# Installs the real browser the HTML evidence report is tested in
# (test/audit/evidence-html.test.ts): Debian's chromium, driven by
# playwright-core (which downloads no browser of its own). Idempotent: does
# nothing when chromium is on PATH. Needs root for apt-get; without it, says
# how to install and leaves the test to skip (or fail under CI=true).
# Measured on the CI machine: about 15 s for apt-get update and install.
set -euo pipefail
if command -v chromium > /dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get > /dev/null 2>&1; then
  echo "setup-browser: chromium is not installed and this is not a Debian root shell; install it (apt-get install chromium) or set CHROMIUM_PATH to run the HTML report's browser test." >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium > /dev/null
echo "setup-browser: $(chromium --version 2>/dev/null | head -1) ready"
