#!/usr/bin/env bash
# make test: build, install, check that every file says the same version
# (check-versions.sh), run the regression and isolation suites in a
# throwaway cluster (pg_stat_statements preloaded: a test counts the
# statements each function runs), the client examples in another, then the
# TAP tests, which start clusters of their own.  The last line is the total:
# "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/build-install.sh
summary=$(mktemp)
examples=$(mktemp)
versions=$(mktemp)
trap 'rm -f "$summary" "$examples" "$versions"' EXIT

# one version number in every file that says it (its line is added to the
# summary after the suites', which run-suites.sh writes anew)
scripts/check-versions.sh | tee "$versions" || true

SUMMARY_FILE=$summary pg_virtualenv -t -o 'shared_preload_libraries=pg_stat_statements' \
	scripts/run-suites.sh || true
[ -s "$summary" ] || echo "0 passed, 1 failed" > "$summary"
grep -qE '^[0-9]+ passed, [0-9]+ failed$' "$versions" || echo "0 passed, 1 failed" > "$versions"
cat "$versions" >> "$summary"
SUMMARY_FILE=$examples pg_virtualenv -t scripts/run-examples.sh || true
[ -s "$examples" ] || echo "0 passed, 1 failed" > "$examples"
cat "$examples" >> "$summary"
scripts/run-tap.sh | tee -a "$summary" || true

# sum the "N passed, M failed" lines of all three
passed=0
failed=0
while read -r p _ f _; do
	passed=$((passed + p))
	failed=$((failed + f))
done < <(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$summary")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
