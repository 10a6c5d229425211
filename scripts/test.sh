#!/usr/bin/env bash
# make test: build, install, then run every suite in a throwaway cluster.
# pg_stat_statements is preloaded: a test counts the statements each
# function runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/build-install.sh
exec pg_virtualenv -t -o 'shared_preload_libraries=pg_stat_statements' \
	scripts/run-suites.sh
