#!/usr/bin/env bash
# What users install is what we test: installs the npm tarball that
# `package:js` wrote (dist/js/) into a fresh app with the newest aws-cdk-lib
# (the versions of scripts/compat-newest/package.json), synthesizes every
# construct of the library there (scripts/package-install/app.js), and fails
# on any deprecation warning (JSII_DEPRECATED=fail makes aws-cdk-lib throw on
# a deprecated API) or a missing file (the relay's asset, the CLI).
set -euo pipefail
cd "$(dirname "$0")/.."

tarball=$(ls dist/js/*.tgz 2>/dev/null | head -1 || true)
[ -n "$tarball" ] || { echo "package-install-check: no tarball in dist/js/; run npx projen package:js first" >&2; exit 1; }
app=$(mktemp -d)
trap 'rm -rf "$app"' EXIT
node -e '
  const [src, out, tarball] = process.argv.slice(1);
  const pins = require(src).dependencies;
  const pkg = { private: true, name: "fresh-app", dependencies: { ...pins, "cdk-cis-monitoring": `file:${tarball}` } };
  delete pkg.dependencies["cdk-nag"];
  require("fs").writeFileSync(out, JSON.stringify(pkg, null, 2));
' "$(pwd)/scripts/compat-newest/package.json" "$app/package.json" "$(pwd)/$tarball"
cp scripts/package-install/app.js "$app/"
(cd "$app" && npm install --no-audit --no-fund --loglevel=error --prefer-offline > "$app/npm.log" 2>&1) \
  || { cat "$app/npm.log" >&2; echo "package-install-check: npm install of $tarball failed" >&2; exit 1; }
(cd "$app" && JSII_DEPRECATED=fail node app.js 2> "$app/stderr.log") || { cat "$app/stderr.log" >&2; exit 1; }
if grep -qi "deprecated" "$app/stderr.log"; then
  cat "$app/stderr.log" >&2
  echo "package-install-check: deprecation warnings above" >&2
  exit 1
fi
# The CLI as installed.
(cd "$app" && npx --no-install cis-monitoring --version > /dev/null) || { echo "package-install-check: the installed cis-monitoring CLI does not start" >&2; exit 1; }
echo "package-install-check: $(basename "$tarball") on aws-cdk-lib $(cd "$app" && node -p 'require("aws-cdk-lib/package.json").version'): every construct synthesized, no deprecation warning, CLI starts"
