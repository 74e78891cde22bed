#!/usr/bin/env bash
# Runs every test file with uvu under tsx, then prints the one closing line CI counts:
# "N passed, N failed". uvu prints Total/Passed/Skipped but no failed count, and nothing at
# all when a file throws while loading, which this wrapper counts as a failure.
# Usage: test/run.sh [pattern]   (a regex on test file paths, default every *.test.ts)
set -u
cd "$(dirname "$0")/.."
pattern="${1:-\.test\.ts$}"
export NO_COLOR=1 FORCE_COLOR=0
log=$(mktemp)
node --import tsx node_modules/uvu/bin.js test "$pattern" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
total=$(awk '/^ *Total:/{print $2}' "$log" | tail -1)
passed=$(awk '/^ *Passed:/{print $2}' "$log" | tail -1)
skipped=$(awk '/^ *Skipped:/{print $2}' "$log" | tail -1)
rm -f "$log"
if [ -z "$total" ]; then
	echo "0 passed, 1 failed"
	exit 1
fi
failed=$((total - passed - skipped))
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
exit "$rc"
