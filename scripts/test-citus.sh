#!/usr/bin/env bash
# make test-citus: the suite of tags on a Citus cluster (doc/citus.md).
# Builds Citus if it is not installed (scripts/build-citus.sh), builds and
# installs tags, starts a coordinator and two workers on loopback
# (scripts/citus-cluster.sh), runs the isolation specs of citus/specs, the
# regression tests of citus/sql against the coordinator (in the order of
# citus/schedule), then the exactness run under concurrent writers
# (citus/exactness.sh) and logical replication to a subscriber
# (citus/logical.sh: the nodes run with wal_level = logical, CITUS_LOGICAL),
# and stops the cluster.  Not part of make test.  Ends with one line: "N
# passed, M failed".
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
CITUS_LOGICAL=1 CITUS_PORT=$port scripts/citus-cluster.sh start "$dir" || exit 1

passed=0
failed=0
pgxs_src=$(dirname "$(dirname "$(pg_config --pgxs)")")
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# suite DIR PROGRAM ARGS...: run pg_regress or pg_isolation_regress against
# the coordinator, its output in DIR, and count its tests
suite() {
	local sub=$1 program=$2 p f
	shift 2
	mkdir -p "$sub"
	chmod 777 "$sub"
	as_owner "$pgxs_src/test/$program" --use-existing --host="$dir" \
		--port="$port" --user=postgres --dbname=regression --inputdir=citus \
		--outputdir="$sub" "$@" | tee "$sub/log"
	read -r p f < <(scripts/regress-counts.sh "$sub/log")
	passed=$((passed + p))
	failed=$((failed + f))
	[ -s "$sub/regression.diffs" ] && { echo "=== $sub/regression.diffs"; head -n 300 "$sub/regression.diffs"; }
}

# the extension, and an isolation tester that sees a wait on a worker as a
# wait, as Citus' own isolation tests have it
as_owner psql -X -q -h "$dir" -p "$port" -U postgres -d regression \
	-c 'CREATE EXTENSION tags' \
	-c 'SELECT citus_internal.replace_isolation_tester_func()' > /dev/null || exit 1

# first the isolation specs, in a database no other test has used yet
suite "$out/iso" isolation/pg_isolation_regress \
	$(cd citus/specs && ls *.spec | sed 's/\.spec$//')
suite "$out" regress/pg_regress --schedule=citus/schedule

for script in citus/exactness.sh citus/logical.sh; do
	if CITUS_HOST=$dir CITUS_PORT=$port "$script"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
