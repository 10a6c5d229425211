#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages that building and testing tags need,
# when they are missing: the server headers of the newest installed
# PostgreSQL, the ICU headers, Perl's IPC::Run for TAP tests, the CLDR data
# the slugs_cldr test reads (unicode-cldr-core), and what the client
# examples run on (Debian's python3 with SQLAlchemy and psycopg2, and
# FastAPI with httpx for its TestClient; Node.js and npm).  Then installs
# the Node example's npm packages from its package-lock.json (npm ci) when
# they are missing or older than the lock.
# Runs apt-get as root, or through sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

server=$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n 1)
if [ -z "$server" ]; then
	echo "install-deps: no PostgreSQL server found in /usr/lib/postgresql; install one (apt-get install postgresql)" >&2
	exit 1
fi
version=$(basename "$(dirname "$(dirname "$server")")")

wanted=(build-essential "postgresql-server-dev-$version" postgresql-common libicu-dev libipc-run-perl
	unicode-cldr-core python3 python3-sqlalchemy python3-psycopg2
	python3-fastapi python3-httpx)
# A Node.js from elsewhere (NodeSource's bundles npm, and conflicts with
# Debian's npm package) is used as it is.
command -v node >/dev/null || wanted+=(nodejs)
command -v npm >/dev/null || wanted+=(npm)
scripts/apt-install.sh install-deps "${wanted[@]}"

# npm ci leaves node_modules/.package-lock.json newer than the lock
if ! [ examples/node/node_modules/.package-lock.json -nt examples/node/package-lock.json ]; then
	echo "install-deps: npm ci in examples/node"
	(cd examples/node && npm ci --no-audit --no-fund --loglevel=error)
fi
