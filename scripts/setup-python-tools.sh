#!/usr/bin/env bash
# Installs the Python tools the test gates use into .venv/ at pinned versions:
# cfn-lint, moto server, and py-ocsf-models (the OCSF models Prowler itself
# uses; the version Prowler 5.46.0 pins) with which the tests validate the
# audit's OCSF output. The AWS SDK's own request validation of the ASFF
# output uses botocore, which moto brings. Idempotent: does nothing when they
# are present at these versions.
set -euo pipefail
cd "$(dirname "$0")/.."
CFN_LINT_VERSION=1.58.0
MOTO_VERSION=5.2.5
PY_OCSF_MODELS_VERSION=0.10.0
VENV=.venv
if [ -x "$VENV/bin/cfn-lint" ] && [ -x "$VENV/bin/moto_server" ] \
  && "$VENV/bin/python" -c "import importlib.metadata as m,sys; sys.exit(0 if m.version('cfn-lint')=='$CFN_LINT_VERSION' and m.version('moto')=='$MOTO_VERSION' and m.version('py-ocsf-models')=='$PY_OCSF_MODELS_VERSION' else 1)" 2>/dev/null; then
  exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  "cfn-lint==$CFN_LINT_VERSION" "moto[server]==$MOTO_VERSION" "py-ocsf-models==$PY_OCSF_MODELS_VERSION"
echo "Python tools ready in $VENV: cfn-lint $CFN_LINT_VERSION, moto $MOTO_VERSION, py-ocsf-models $PY_OCSF_MODELS_VERSION"
