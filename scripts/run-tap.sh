#!/usr/bin/env bash
# Runs the TAP tests (t/*.pl, or those named in PROVE_TESTS) with
# PostgreSQL::Test::Cluster from the server's PGXS install.  Each test starts
# clusters of its own.  initdb refuses to run as root, so as root the tests
# run as the postgres user, in a scratch copy of t/.  Ends with one line:
# "N passed, M failed" (test files).
set -uo pipefail
cd "$(dirname "$0")/.."

tests=${PROVE_TESTS:-$(ls t/*.pl 2>/dev/null | tr '\n' ' ')}
if [ -z "$tests" ]; then
	echo "0 passed, 0 failed"
	exit 0
fi

bindir=$(pg_config --bindir)
pgxs_src=$(dirname "$(dirname "$(pg_config --pgxs)")")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r t "$work/"
log="$work/prove.log"

run=(env TESTDIR="$work" PATH="$bindir:$PATH"
	PG_REGRESS="$pgxs_src/test/regress/pg_regress"
	prove -I "$pgxs_src/test/perl" -I "$work/t" $tests)
if [ "$(id -u)" -eq 0 ]; then
	chown -R postgres "$work"
	(cd "$work" && runuser -u postgres -- "${run[@]}") 2>&1 | tee "$log"
else
	(cd "$work" && "${run[@]}") 2>&1 | tee "$log"
fi
status=${PIPESTATUS[0]}

# a failed test's server logs are in tmp_check: show their ends
if [ "$status" -ne 0 ]; then
	for f in "$work"/tmp_check/log/*; do
		[ -f "$f" ] && { echo "=== $(basename "$f")"; tail -n 40 "$f"; }
	done
fi
passed=$(grep -cE '^t/[^ ]+\.pl \.+ ok' "$log")
failed=$(grep -cE '^t/[^ ]+\.pl \.+ (Dubious|Failed|[0-9]+/[0-9]+ skipped)|^t/[^ ]+\.pl \.+ *$' "$log")
total=$(echo $tests | wc -w)
[ $((passed + failed)) -lt "$total" ] && failed=$((total - passed))
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
