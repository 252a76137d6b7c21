#!/usr/bin/env bash
# Measures what users install, for the README's package figures: packs the
# built package (run `npx projen build` or `npx projen compile && npx projen
# bundle-cli` first), installs the tarball into an empty temporary project,
# and times the installed CLI's start-up with hyperfine (apt-get install
# hyperfine). Prints Markdown table rows.
#
#   bash scripts/measure-package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f lib/bin/cis-monitoring.js ] || { echo "no lib/bin/cis-monitoring.js: build first" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine is not installed (apt-get install -y hyperfine)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
npm pack --ignore-scripts --json --pack-destination "$work" 2>/dev/null > "$work/pack.json"
read -r tarball packed unpacked entries < <(node -e '
  const [p] = require(process.argv[1]);
  console.log(p.filename, p.size, p.unpackedSize, p.entryCount);' "$work/pack.json")

mkdir "$work/app"
(
  cd "$work/app"
  echo '{ "name": "measure", "version": "1.0.0", "private": true }' > package.json
  npm install --no-audit --no-fund --loglevel=error "../$tarball" >/dev/null
)
installed=$(du -sb "$work/app/node_modules/cdk-cis-monitoring" | cut -f1)
with_peers=$(du -sb "$work/app/node_modules" | cut -f1)

bin="$work/app/node_modules/cdk-cis-monitoring/lib/bin/cis-monitoring.js"
node -e '
  const records = [{ eventVersion: "1.09", eventTime: "2026-11-01T10:00:00Z", eventSource: "cloudtrail.amazonaws.com",
    eventName: "StopLogging", awsRegion: "eu-west-1", userIdentity: { type: "IAMUser", arn: "arn:aws:iam::111122223333:user/alice" } }];
  require("fs").writeFileSync(process.argv[1], JSON.stringify({ Records: records }));' "$work/small.json"
hyperfine -N --warmup 5 --runs 40 --export-json "$work/hf.json" \
  'node -e 0' \
  "node $bin replay --help" \
  "node $bin replay --benchmark 7.0.0 $work/small.json" \
  "node $bin audit --help" >&2

node -e '
  const [packed, unpacked, entries, installed, withPeers, hf] = process.argv.slice(1);
  const mib = n => (Number(n) / 1024 / 1024).toFixed(2) + " MiB";
  const r = JSON.parse(require("fs").readFileSync(hf, "utf8")).results;
  const ms = x => `${Math.round(x.mean * 1000)} ms mean, ${Math.round(x.min * 1000)} ms min`;
  console.log(`node ${process.version}, ${require("os").cpus().length} cores, load ${require("os").loadavg()[0].toFixed(1)}`);
  console.log(`| npm tarball (\`npm pack\`) | ${mib(packed)} packed, ${mib(unpacked)} unpacked, ${entries} files |`);
  console.log(`| installed (\`npm install\` of the tarball into an empty directory) | ${mib(installed)} for \`node_modules/cdk-cis-monitoring\`; ${mib(withPeers)} with its peer dependencies aws-cdk-lib and constructs |`);
  const names = ["`node -e 0`", "`cis-monitoring replay --help`", "`cis-monitoring replay` of one small file", "`cis-monitoring audit --help`"];
  r.forEach((x, i) => console.log(`| start-up, ${names[i]} | ${ms(x)} |`));
' "$packed" "$unpacked" "$entries" "$installed" "$with_peers" "$work/hf.json"
