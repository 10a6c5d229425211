#!/usr/bin/env bash
# Runs the regression and isolation suites against the server the
# environment points at (pg_virtualenv sets PGHOST, PGPORT, PGUSER), and
# ends with one line: "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

# each suite on its own, so that a failure in one still runs the other
make -s installcheck ISOLATION= 2>&1 | tee -a "$log" || status=1
make -s installcheck REGRESS= 2>&1 | tee -a "$log" || status=1

passed=$(grep -cE '\.\.\. ok' "$log")
failed=$(grep -cE '\.\.\. (FAILED|failed)' "$log")
[ -f regression.diffs ] && [ "$failed" -gt 0 ] && echo "see regression.diffs (and output_iso/regression.diffs)"
# a suite that failed without running a test still counts as a failure
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
