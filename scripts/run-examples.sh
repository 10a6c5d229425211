#!/usr/bin/env bash
# Runs the client examples against the server the environment points at
# (pg_virtualenv sets PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE): the
# SQLAlchemy one (examples/python, python3 -m unittest), the FastAPI one
# (examples/fastapi, the same) and the node-postgres one (examples/node,
# node --test).  Each creates a database of its own and drops it.  Ends
# with one line, "N passed, M failed" (examples), also written to
# $SUMMARY_FILE when that is set.
set -uo pipefail
cd "$(dirname "$0")/.."

# Debian's python3, which has Debian's python3-sqlalchemy,
# python3-psycopg2, python3-fastapi and python3-httpx; another python3 first
# in PATH (pyenv's) would not
python3=/usr/bin/python3

passed=0
failed=0
run() {
	local name=$1
	shift
	echo "=== example $name: $*"
	if "$@"; then
		passed=$((passed + 1))
	else
		echo "=== example $name FAILED"
		failed=$((failed + 1))
	fi
}
run python bash -c "cd examples/python && exec $python3 -m unittest -v test_blog 2>&1"
run fastapi bash -c "cd examples/fastapi && exec $python3 -m unittest -v test_app 2>&1"
run node bash -c 'cd examples/node && exec node --test blog.test.js 2>&1'

echo "$passed passed, $failed failed" | tee ${SUMMARY_FILE:+"$SUMMARY_FILE"}
[ "$failed" -eq 0 ]
