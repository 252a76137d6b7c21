#!/usr/bin/env bash
# Run first by every packaging task (package, package-all, package:<lang>):
# compiles when the library is missing or older than its sources, so no
# packaging path packs an incomplete lib/ (a fresh clone, or src/ edited since
# the last compile). `compile` writes .jsii, lib/ with the alert relay's code
# (relay-handler/) and the CLI bundle (lib/bin/).
set -euo pipefail
cd "$(dirname "$0")/.."

why=""
for f in .jsii lib/index.js lib/bin/cis-monitoring.js lib/organization/relay-handler/index.js; do
  [ -f "$f" ] || { why="$f is missing"; break; }
done
if [ -z "$why" ]; then
  newer=$(find src -type f -newer .jsii -print -quit)
  [ -z "$newer" ] || why="$newer is newer than .jsii"
fi
if [ -n "$why" ]; then
  echo "ensure-compiled: $why; compiling first"
  npx projen compile
fi
