#!/usr/bin/env bash
# make test: build, install, then run every suite in a throwaway cluster,
# and end with one line: "N passed, M failed".  pg_stat_statements is
# preloaded: a test counts the statements each function runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/build-install.sh
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
status=0
SUMMARY_FILE=$summary pg_virtualenv -t -o 'shared_preload_libraries=pg_stat_statements' \
	scripts/run-suites.sh || status=$?
# pg_virtualenv talks after the suites; the count goes last
if [ -s "$summary" ]; then
	cat "$summary"
else
	echo "0 passed, 1 failed"
	status=1
fi
exit "$status"
