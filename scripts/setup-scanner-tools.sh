#!/usr/bin/env bash
# Installs the real compliance scanners the scanner tests run, each in its own
# venv at a pinned version (their dependencies clash with moto's and
# cfn-lint's: Prowler pins an older botocore, with which a moto server answers
# the AWS SDK's CloudWatch JSON protocol with HTTP 500, so moto stays in .venv):
#   .venv-prowler/  Prowler (test/scanners/prowler-real.test.ts)
#   .venv-checkov/  checkov (test/gates/checkov.test.ts)
# Idempotent: a venv whose tool is present at the pinned version is left alone.
# `bash scripts/setup-scanner-tools.sh prowler` (or `checkov`) installs one.
set -euo pipefail
cd "$(dirname "$0")/.."
PROWLER_VERSION=5.46.0
CHECKOV_VERSION=3.3.30
# uv (from PyPI) installs Prowler's ~140,000 files several times faster than pip.
UV_VERSION=0.9.17

install() { # venv, distribution, version, executable
  local venv=$1 dist=$2 version=$3 exe=$4
  if [ -x "$venv/bin/$exe" ] \
    && "$venv/bin/python" -c "import importlib.metadata as m,sys; sys.exit(0 if m.version('$dist')=='$version' else 1)" 2>/dev/null; then
    return 0
  fi
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  "$venv/bin/uv" pip install --quiet --python "$venv/bin/python" "$dist==$version"
  echo "$dist $version ready in $venv"
}

want=${1:-all}
if [ "$want" = all ] || [ "$want" = prowler ]; then install .venv-prowler prowler "$PROWLER_VERSION" prowler; fi
if [ "$want" = all ] || [ "$want" = checkov ]; then install .venv-checkov checkov "$CHECKOV_VERSION" checkov; fi
