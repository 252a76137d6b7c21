#!/usr/bin/env bash
# Installs the jsii-built Python wheel (dist/python) with aws-cdk-lib at our
# floor from PyPI, runs the README's Python example with it, and checks what
# it synthesized. Keeps the README's Python usage honest.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv-python-smoke
WHEEL=$(ls dist/python/*.whl)
CDK_VERSION=$(node -p "require('./package.json').devDependencies['aws-cdk-lib']")
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "aws-cdk-lib==$CDK_VERSION" "$WHEEL"
# The wheel's version is always 0.0.0 in development: reinstall it so this run's build is the one tested.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$WHEEL"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The first ```python block under "### Python" in README.md.
awk '/^### Python/{s=1} s&&/^```python/{p=1;next} p&&/^```/{exit} p' README.md > "$work/example.py"
[ -s "$work/example.py" ] || { echo "python-smoke: no Python example found in README.md" >&2; exit 1; }
(cd "$work" && CDK_OUTDIR="$work/cdk.out" "$OLDPWD/$VENV/bin/python" example.py > /dev/null)

python3 - "$work/cdk.out/Security.template.json" "$(basename "$WHEEL")" <<'PY'
import json, sys
resources = json.load(open(sys.argv[1]))["Resources"].values()
alarms = [r["Properties"] for r in resources if r["Type"] == "AWS::CloudWatch::Alarm"]
unauthorized = [a for a in alarms if a["MetricName"] == "UnauthorizedAPICalls"]
assert len(alarms) == 15, f"expected 15 alarms, got {len(alarms)}"
assert [(a["Period"], a["Threshold"]) for a in unauthorized] == [(900, 10)], unauthorized
print(f"python-smoke: the README Python example synthesized {len(alarms)} alarms with {sys.argv[2]}")
PY

# The wheel also installs the `cis-monitoring` CLI (jsii runs the package's bundled bin with node).
want=$(node -p "require('./package.json').version")
got=$("$VENV/bin/cis-monitoring" --version)
[ "$got" = "$want" ] || { echo "python-smoke: $VENV/bin/cis-monitoring --version printed '$got', expected '$want'" >&2; exit 1; }
echo "python-smoke: the wheel's cis-monitoring --version prints $got"
