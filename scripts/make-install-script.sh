#!/usr/bin/env bash
# make-install-script.sh BASE UPGRADE...: prints the full install script of
# the version the last upgrade script leads to: the base version's script,
# then each upgrade script without its \echo guard.  The Makefile makes
# tags--<latest>.sql with it, so that a fresh install and an upgrade run
# the very same statements.
set -euo pipefail
base=$1
shift
last=${!#}
version=${last##*--}
version=${version%.sql}
echo "/* tags--$version.sql: made by scripts/make-install-script.sh from $base $* */"
grep -v '^/\* tags--.*\.sql \*/$' "$base"
for f in "$@"; do
	echo
	echo "-- from $f"
	grep -v -e '^\\echo Use "ALTER EXTENSION' -e '^/\* tags--.*\.sql \*/$' \
		-e '^-- complain if script is sourced in psql, rather than via ALTER EXTENSION$' "$f"
done
