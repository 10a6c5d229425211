#!/usr/bin/env bash
# make bench: builds and installs the extension, then runs bench/inner.sh in
# a throwaway cluster (pg_virtualenv -t).  SCALE= posts (default 1 000 000),
# tags = SCALE/100.  Durations: BENCH_SECS (default 10) per pgbench run,
# COUNTS_SECS (default 15) for tag_counts(), SCALE_SECS (default 5) for the
# smaller scale points.  Results in bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."

export SCALE=${SCALE:-1000000}
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
if ! command -v gnuplot >/dev/null 2>&1; then
	echo "installing gnuplot-nox"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq gnuplot-nox >/dev/null
fi
command -v pgbench >/dev/null || { echo "pgbench not found (postgresql-client)" >&2; exit 1; }

scripts/build-install.sh
mkdir -p bench/results

# durability settings left at their defaults; only memory and checkpoint
# spacing raised for a 2-core / 24 GB machine
pg_virtualenv -t \
	-o shared_buffers=2GB \
	-o effective_cache_size=16GB \
	-o max_wal_size=8GB \
	-o checkpoint_timeout=30min \
	-o maintenance_work_mem=1GB \
	bench/inner.sh
