#!/usr/bin/env bash
# make test-versions: the regression, isolation and TAP suites against every
# PostgreSQL found, one after the other, each ending with one line
# "PG N: X passed, M failed"; the lines are repeated together at the end.
#
# The versions:
#   - Debian's packaged servers (/usr/lib/postgresql/N).  The extension is
#     installed under $TAGS_DESTDIR, never into the system directories,
#     and found there through Debian's extension_destdir setting; the
#     cluster is pg_virtualenv's, on port $PGPORT_BASE.
#   - each version built by scripts/build-postgres.sh under
#     $PG_PREFIX_ROOT/N.  The extension is installed into that prefix, and
#     the cluster is one of our own, run by the postgres user (PostgreSQL
#     refuses root), on port $PGPORT_BASE + N - 15.
#
# Each version builds the extension from a copy of this tree (the files git
# knows, committed or not) with that version's pg_config and the warnings
# of scripts/build-install.sh as errors, so the objects of one version never
# meet another's.  Copies and logs stay in $TEST_VERSIONS_DIR, made anew
# each run.  Not part of make test or CI: the versions are built from a
# clone of PostgreSQL that CI does not have.
#
# Environment:
#   PG_PREFIX_ROOT     where build-postgres.sh put its versions (/work/pg)
#   TAGS_DESTDIR       DESTDIR for the Debian versions (/work/dest-versions)
#   PGPORT_BASE        port of the Debian 15 cluster (5471); a built N
#                      uses PGPORT_BASE + N - 15
#   TEST_VERSIONS_DIR  copies and logs (/tmp/tags-test-versions)
#   VERSIONS           only these majors, e.g. "15 18" (default: all found)
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

prefix_root=${PG_PREFIX_ROOT:-/work/pg}
destdir=${TAGS_DESTDIR:-/work/dest-versions}
port_base=${PGPORT_BASE:-5471}
work=${TEST_VERSIONS_DIR:-/tmp/tags-test-versions}
only=${VERSIONS:-}
cflags='-Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers -Werror'

if [ "$(id -u)" -eq 0 ]; then
	as_postgres=(runuser -u postgres --)
else
	as_postgres=()
fi

# a cluster of ours still running when the script stops is stopped
running_bindir=
running_data=
trap '[ -z "$running_data" ] ||
	"${as_postgres[@]}" "$running_bindir/pg_ctl" -D "$running_data" -m immediate stop' EXIT

rm -rf "$work"
mkdir -p "$work"
# the postgres user runs the clusters and the TAP tests in here
chmod 755 "$work"
results=()

wanted() {
	[ -z "$only" ] || [[ " $only " == *" $1 "* ]]
}

# "N passed, M failed" of one suite's output, or a failure when it has none
summary_of() {
	grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1 | grep . ||
		echo "0 passed, 1 failed"
}

# copy this tree into $1 and build it with pg_config $2
build_copy() {
	local dir=$1 pg_config=$2
	mkdir -p "$dir"
	(cd "$repo" && git ls-files -z -c -o --exclude-standard |
		grep -z -v -E '^(bench|examples)/' | tar --null -T - -cf -) |
		tar -x -C "$dir"
	make -C "$dir" -s -j2 PG_CONFIG="$pg_config" PG_CFLAGS="$cflags"
}

# sum the summaries named, print "PG N: ...", remember it
report() {
	local major=$1 passed=0 failed=0 p f
	shift
	for s in "$@"; do
		read -r p _ f _ < "$s"
		passed=$((passed + p))
		failed=$((failed + f))
	done
	results+=("PG $major: $passed passed, $failed failed")
	echo "PG $major: $passed passed, $failed failed"
}

# A Debian packaged version: install under $destdir, run in pg_virtualenv
test_debian() {
	local major=$1 bindir=/usr/lib/postgresql/$1/bin
	local dir=$work/$major log=$work/$major.log
	local conf=$work/$major.temp_config
	echo "=== PG $major: Debian's $("$bindir/postgres" --version), extension under $destdir; log in $log"
	{
		if ! build_copy "$dir" "$bindir/pg_config" ||
			! make -C "$dir" -s PG_CONFIG="$bindir/pg_config" DESTDIR="$destdir" install; then
			echo "build failed"
			echo "0 passed, 1 failed" > "$dir/.regress"
		else
			PGPORT=$port_base SUMMARY_FILE=$dir/.regress \
				pg_virtualenv -v "$major" -t \
				-o "extension_destdir=$destdir" \
				-o shared_preload_libraries=pg_stat_statements \
				"$dir/scripts/run-suites.sh"
			echo "extension_destdir = '$destdir'" > "$conf"
			chmod 644 "$conf"
			TEMP_CONFIG=$conf PATH="$bindir:$PATH" "$dir/scripts/run-tap.sh" |
				tee "$dir/.tap.out"
			summary_of "$dir/.tap.out" > "$dir/.tap"
		fi
	} > "$log" 2>&1
	[ -s "$dir/.regress" ] || echo "0 passed, 1 failed" > "$dir/.regress"
	[ -s "$dir/.tap" ] || echo "0 passed, 1 failed" > "$dir/.tap"
	report "$major" "$dir/.regress" "$dir/.tap"
}

# A version built from source: install into its prefix, run in a cluster
# of our own
test_built() {
	local major=$1 prefix=$prefix_root/$1
	local bindir=$prefix/bin dir=$work/$major log=$work/$major.log
	local data=$work/$major.data sock=$work/$major.sock
	local port=$((port_base + major - 15))
	echo "=== PG $major: $(head -n 1 "$prefix/branch-point" 2>/dev/null || echo "$prefix"); log in $log"
	{
		if ! build_copy "$dir" "$bindir/pg_config" ||
			! make -C "$dir" -s PG_CONFIG="$bindir/pg_config" install; then
			echo "build failed"
			echo "0 passed, 1 failed" > "$dir/.regress"
		else
			mkdir -p "$sock"
			[ ${#as_postgres[@]} -eq 0 ] || chown postgres "$sock" "$work"
			"${as_postgres[@]}" "$bindir/initdb" -D "$data" -U postgres -A trust \
				-E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
			"${as_postgres[@]}" "$bindir/pg_ctl" -D "$data" -l "$work/$major.server.log" -w \
				-o "-p $port -k $sock -c listen_addresses= -c fsync=off -c shared_preload_libraries=pg_stat_statements" \
				start && running_bindir=$bindir running_data=$data
			PGHOST=$sock PGPORT=$port PGUSER=postgres PGDATABASE=postgres \
				PG_CONFIG=$bindir/pg_config PATH="$bindir:$PATH" SUMMARY_FILE=$dir/.regress \
				"$dir/scripts/run-suites.sh"
			"${as_postgres[@]}" "$bindir/pg_ctl" -D "$data" -w -m fast stop
			running_data=
			PATH="$bindir:$PATH" "$dir/scripts/run-tap.sh" | tee "$dir/.tap.out"
			summary_of "$dir/.tap.out" > "$dir/.tap"
		fi
	} > "$log" 2>&1
	[ -s "$dir/.regress" ] || echo "0 passed, 1 failed" > "$dir/.regress"
	[ -s "$dir/.tap" ] || echo "0 passed, 1 failed" > "$dir/.tap"
	report "$major" "$dir/.regress" "$dir/.tap"
}

for pg_config in /usr/lib/postgresql/*/bin/pg_config; do
	[ -x "$pg_config" ] || continue
	major=$(basename "$(dirname "$(dirname "$pg_config")")")
	wanted "$major" || continue
	if ! [ -f "$("$pg_config" --pgxs)" ]; then
		echo "=== PG $major: skipped, no server headers (apt-get install postgresql-server-dev-$major)"
		continue
	fi
	test_debian "$major"
done
for pg_config in $(ls -d "$prefix_root"/*/bin/pg_config 2>/dev/null | sort -V); do
	major=$(basename "$(dirname "$(dirname "$pg_config")")")
	wanted "$major" && test_built "$major"
done

echo
if [ ${#results[@]} -eq 0 ]; then
	echo "no PostgreSQL found (build one with scripts/build-postgres.sh N)"
	exit 1
fi
printf '%s\n' "${results[@]}"
! printf '%s\n' "${results[@]}" | grep -qv ' 0 failed$'
