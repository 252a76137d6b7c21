#!/usr/bin/env bash
# Installs the real compliance scanners the scanner tests run, each in its own
# venv at a pinned version (their dependencies clash with moto's and
# cfn-lint's: Prowler pins an older botocore, with which a moto server answers
# the AWS SDK's CloudWatch JSON protocol with HTTP 500, so moto stays in .venv):
#   .venv-prowler/  Prowler (test/scanners/prowler-real.test.ts)
#   .venv-checkov/  checkov (test/gates/checkov.test.ts)
#   .tools/cloudsploit/  CloudSploit (test/scanners/per-region-real.test.ts):
#     not on any registry, so its source comes from the pinned tarball in
#     ../shared/tools/cloudsploit/ (a test tool: never copied into the
#     repository); its npm dependencies come from the registry at the versions
#     of scripts/cloudsploit-package-lock.json (`npm ci`, no install scripts).
#     Without ../shared it is skipped with a message (the tests then skip, or
#     fail in CI).
# Idempotent: a venv whose tool is present at the pinned version is left alone.
# `bash scripts/setup-scanner-tools.sh prowler` (or `checkov`, `cloudsploit`) installs one.
set -euo pipefail
cd "$(dirname "$0")/.."
PROWLER_VERSION=5.46.0
CHECKOV_VERSION=3.3.30
# uv (from PyPI) installs Prowler's ~140,000 files several times faster than pip.
UV_VERSION=0.9.17
# The aquasecurity/cloudsploit commit of ../shared/tools/cloudsploit/cloudsploit-<first 7>.tar.gz.
CLOUDSPLOIT_COMMIT=4b5bbd809f1ea2e91b87944920794d2bddf770ed

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

install_cloudsploit() {
  local dir=.tools/cloudsploit
  local tarball
  tarball="$(cd .. && pwd)/shared/tools/cloudsploit/cloudsploit-${CLOUDSPLOIT_COMMIT:0:7}.tar.gz"
  if [ "$(cat "$dir/.cis-commit" 2>/dev/null)" = "$CLOUDSPLOIT_COMMIT" ] && [ -d "$dir/node_modules/aws-sdk" ]; then
    return 0
  fi
  if [ ! -f "$tarball" ]; then
    echo "CloudSploit not installed: $tarball is missing (../shared holds the pinned source; the CloudSploit tests skip without it, or fail in CI)"
    return 0
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  tar xzf "$tarball" -C "$dir"
  cp scripts/cloudsploit-package-lock.json "$dir/package-lock.json"
  (cd "$dir" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$CLOUDSPLOIT_COMMIT" > "$dir/.cis-commit"
  echo "cloudsploit ${CLOUDSPLOIT_COMMIT:0:7} ready in $dir"
}

want=${1:-all}
if [ "$want" = all ] || [ "$want" = prowler ]; then install .venv-prowler prowler "$PROWLER_VERSION" prowler; fi
if [ "$want" = all ] || [ "$want" = checkov ]; then install .venv-checkov checkov "$CHECKOV_VERSION" checkov; fi
if [ "$want" = all ] || [ "$want" = cloudsploit ]; then install_cloudsploit; fi
