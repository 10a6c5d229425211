#!/usr/bin/env bash
# make test-citus: the suite of tags on a Citus cluster (doc/citus.md).
# Builds Citus if it is not installed (scripts/build-citus.sh), builds and
# installs tags, starts a coordinator and two workers on loopback
# (scripts/citus-cluster.sh), runs the regression tests of citus/sql against
# the coordinator (in the order of citus/schedule), then the exactness run under concurrent writers
# (citus/exactness.sh), and stops the cluster.  Not part of make test.  Ends
# with one line: "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/build-citus.sh || exit 1
scripts/build-install.sh > /dev/null || exit 1

dir=$(mktemp -d /tmp/tags-citus.XXXXXX)
port=${CITUS_PORT:-57640}
# results/ and regression.diffs, kept for a look after a failure
out=$PWD/citus/output
rm -rf "$out"
mkdir -p "$out"
trap 'scripts/citus-cluster.sh stop "$dir"' EXIT
CITUS_PORT=$port scripts/citus-cluster.sh start "$dir" || exit 1

passed=0
failed=0
pgxs_src=$(dirname "$(dirname "$(pg_config --pgxs)")")
chmod 777 "$out"
run=("$pgxs_src/test/regress/pg_regress" --use-existing --host="$dir"
	--port="$port" --user=postgres --dbname=regression --inputdir=citus
	--outputdir="$out" --schedule=citus/schedule)
if [ "$(id -u)" -eq 0 ]; then
	runuser -u postgres -- "${run[@]}" | tee "$out/log"
else
	"${run[@]}" | tee "$out/log"
fi
passed=$((passed + $(grep -cE '\.\.\. ok|^ok +[0-9]+ ' "$out/log")))
failed=$((failed + $(grep -cE '\.\.\. (FAILED|failed)|^not ok +[0-9]+ ' "$out/log")))
[ -s "$out/regression.diffs" ] && { echo "=== regression.diffs"; head -n 300 "$out/regression.diffs"; }

if CITUS_HOST=$dir CITUS_PORT=$port citus/exactness.sh; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
