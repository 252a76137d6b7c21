#!/usr/bin/env bash
# The second set of the compatibility matrix: runs the construct tests, the
# tests of every example, the cdk-nag gates and the cfn-lint gate against the
# NEWEST aws-cdk-lib with cdk-nag 3 (exact versions pinned in
# scripts/compat-newest/package.json and its lockfile). The first set, the
# aws-cdk-lib floor with cdk-nag 2, is the ordinary `jest` run of `build`.
#
# The pinned packages go into an isolated install (.tmp/compat-newest/); jest's
# moduleNameMapper makes `aws-cdk-lib`, `cdk-nag` and `constructs` resolve
# there (for the tests, src/, examples/ and aws-cdk-lib itself), while
# everything else comes from the repository. Type-checking stays on the floor
# types, so test code that uses a newer API feature-detects it at runtime.
#
# Engine-only suites (filter-pattern, replay, event fixtures) do not touch
# aws-cdk-lib and are skipped. Test files are selected by what they import, so
# a new construct test joins automatically.
#
#   bash scripts/compat-newest.sh               # the selected set
#   bash scripts/compat-newest.sh test/gates    # only some files (jest path patterns)
set -euo pipefail
cd "$(dirname "$0")/.."

SRC=scripts/compat-newest
DIR=.tmp/compat-newest
mkdir -p "$DIR"
# Reinstall only when the pins changed (the lockfile is the stamp).
if ! cmp -s "$SRC/package-lock.json" "$DIR/package-lock.json" || [ ! -d "$DIR/node_modules/aws-cdk-lib" ]; then
  cp "$SRC/package.json" "$SRC/package-lock.json" "$DIR/"
  (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi
versions=$(cd "$DIR" && node -p '["aws-cdk-lib","cdk-nag","constructs"].map(p => p + " " + require(p + "/package.json").version).join(", ")')

# Tests that use aws-cdk-lib, cdk-nag or an example; minus the engine-only suites.
mapfile -t selected < <(grep -rlE "from '(aws-cdk-lib|cdk-nag)|/examples/" test --include='*.test.ts' \
  | grep -vE '^test/(filter-pattern|fixtures|fixtures-events)/|/replay-' | sort)
# Every example must be exercised by at least one selected test.
for example in examples/*.ts; do
  name=$(basename "$example" .ts)
  grep -lq "examples/$name'" "${selected[@]}" || { echo "compat-newest: no selected test uses $example" >&2; exit 1; }
done

if [ "$#" -gt 0 ]; then selected=("$@"); fi
echo "compat-newest: ${#selected[@]} test files on $versions"

# jest config: the project's (from package.json), with the three packages mapped
# to the isolated install, no coverage, and no junit report (test-reports/
# belongs to the main run, which .ci/run summarizes).
abs=$(pwd)/$DIR/node_modules
node -e '
  const [abs, out] = process.argv.slice(1);
  const base = require("./package.json").jest;
  const map = {};
  for (const p of ["aws-cdk-lib", "cdk-nag", "constructs"]) {
    map[`^${p}$`] = `${abs}/${p}`;
    map[`^${p}/(.*)$`] = `${abs}/${p}/$1`;
  }
  const config = { ...base, rootDir: process.cwd(), moduleNameMapper: map, collectCoverage: false, reporters: ["default"] };
  require("fs").writeFileSync(out, JSON.stringify(config, null, 2));
' "$abs" "$DIR/jest.config.json"

# Its test notes (skip reasons, tables) go beside its install, not into test-reports/ of the main run.
CIS_COMPAT_SET=newest CIS_TEST_REPORT_DIR="$DIR/test-reports" npx jest --config "$DIR/jest.config.json" --ci --passWithNoTests=false "${selected[@]}"
