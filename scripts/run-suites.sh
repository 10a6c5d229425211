#!/usr/bin/env bash
# Runs the regression and isolation suites against the server the
# environment points at (pg_virtualenv sets PGHOST, PGPORT, PGUSER), and
# ends with one line: "N passed, M failed", also written to $SUMMARY_FILE
# when that is set.
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

# each suite on its own, so that a failure in one still runs the others
scripts/check-install-script.sh 2>&1 | tee -a "$log" || status=1
make -s installcheck ISOLATION= 2>&1 | tee -a "$log" || status=1
make -s installcheck REGRESS= 2>&1 | tee -a "$log" || status=1

read -r passed failed < <(scripts/regress-counts.sh "$log")
# show what differed, so that a CI log is enough to see why
for diffs in regression.diffs output_iso/regression.diffs; do
	[ -s "$diffs" ] && { echo "=== $diffs"; head -n 300 "$diffs"; }
done
# a suite that failed without running a test still counts as a failure
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1
fi
echo "$passed passed, $failed failed" | tee ${SUMMARY_FILE:+"$SUMMARY_FILE"}
[ "$failed" -eq 0 ]
