#!/usr/bin/env bash
# Runs test files with uvu under tsx, each in its own process with a time limit, then prints the one closing line
# CI counts: "N passed, N failed". One process per file, so a file that throws while loading, crashes, or never
# exits (a hung peer, a handle left open) counts as a failure of that file and the next file still runs; the time
# limit kills the file's whole process group, its peers included. Inside a file, each test has its own limit
# (test/helpers/suite.ts).
# Usage: test/run.sh [--unit] [pattern]   (a regex on *.test.ts paths relative to test/, default every file)
#        --unit keeps the files that start no external program (test/architecture/unit-files.ts decides).
#        TEST_FILE_TIMEOUT=<seconds> bounds each file (default 600: four times the slowest file on two loaded cores); TEST_DIR=<folder> runs another folder's files.
set -u
cd "$(dirname "$0")/.."
unit=0
if [ "${1:-}" = "--unit" ]; then
	unit=1
	shift
fi
pattern="${1:-.}"
limit="${TEST_FILE_TIMEOUT:-600}"
dir="${TEST_DIR:-test}"
export NO_COLOR=1 FORCE_COLOR=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
passed=0
failed=0
status=0
files=$(cd "$dir" && find . -name '*.test.ts' | sed 's|^\./||' | LC_ALL=C sort | grep -E -- "$pattern")
if [ "$unit" -eq 1 ]; then
	files=$(grep -Fx -f <(node --import tsx test/architecture/unit-files.ts) <<<"$files")
fi
if [ -z "$files" ]; then
	echo "no test file matches /$pattern/"
	echo "0 passed, 1 failed"
	exit 1
fi
for file in $files; do
	started=$SECONDS
	timeout --kill-after=10 "$limit" node --import tsx "$dir/$file" >"$log" 2>&1
	rc=$?
	# uvu's per-file totals are folded into the closing line; the rest of its output is kept.
	total=$(awk '/^ *Total:/{print $2}' "$log" | tail -1)
	ok=$(awk '/^ *Passed:/{print $2}' "$log" | tail -1)
	skipped=$(awk '/^ *Skipped:/{print $2}' "$log" | tail -1)
	echo "$file ($((SECONDS - started)) s)"
	grep -vE '^ *(Total|Passed|Skipped|Duration):' "$log" | sed '/^$/N;/^\n$/D'
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then echo "  killed: still running after ${limit} s"; fi
	if [ -z "$total" ]; then
		# Nothing counted: the file threw while loading or was killed before uvu's summary.
		failed=$((failed + 1))
	else
		bad=$((total - ok - skipped))
		if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi
		passed=$((passed + ok))
		failed=$((failed + bad))
	fi
	if [ "$rc" -ne 0 ]; then status=1; fi
done
echo "$passed passed, $failed failed"
exit "$status"
