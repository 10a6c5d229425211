#!/usr/bin/env bash
# make demo: build, install, and show every function at work in a
# throwaway cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/build-install.sh
exec pg_virtualenv -t psql -X -q -v ON_ERROR_STOP=1 -f examples/demo.sql
