#!/usr/bin/env bash
# make bench: builds and installs the extension, then runs bench/inner.sh in
# a throwaway cluster (pg_virtualenv -t).  SCALE= posts (default 1 000 000),
# tags = SCALE/100.  Durations: BENCH_SECS (default 10) per pgbench run,
# COUNTS_SECS (default 15) for tag_counts(), SCALE_SECS (default 5) for the
# smaller scale points.  Results in bench/results/.  BENCH_ONLY=long,bulk
# (a comma list of main, counter, tenants, long, long_tenant, bulk) runs
# only those parts (see inner.sh).
# BENCH_DESTDIR=DIR installs the extension under DIR (make install
# DESTDIR=DIR) instead of into the server, and the cluster loads it from
# there (extension_destdir); PGPORT picks the cluster's port.
set -euo pipefail
cd "$(dirname "$0")/.."

export SCALE=${SCALE:-1000000}
# gnuplot for the chart, and the real names of the long-lived connection
# and of bulk SQL writes (word lists)
packages=(wamerican wfrench wngerman hunspell-ru)
command -v gnuplot >/dev/null 2>&1 || packages+=(gnuplot-nox)
scripts/apt-install.sh bench "${packages[@]}"
command -v pgbench >/dev/null || { echo "pgbench not found (postgresql-client)" >&2; exit 1; }

destdir=()
if [ -n "${BENCH_DESTDIR:-}" ]; then
	mkdir -p "$BENCH_DESTDIR"
	BENCH_DESTDIR=$(cd "$BENCH_DESTDIR" && pwd)
	make -s
	make -s install DESTDIR="$BENCH_DESTDIR" >/dev/null
	destdir=(-o "extension_destdir=$BENCH_DESTDIR")
else
	scripts/build-install.sh
fi
mkdir -p bench/results

# pg_virtualenv makes its clusters with fsync=off, so a commit writes its
# WAL without waiting for the disk (the same for the extension and the
# reference); the rest of durability at its defaults, and only memory and
# checkpoint spacing raised for a 2-core / 24 GB machine.  The lock table
# is made four times its default (max_locks_per_transaction): the
# extension takes a transaction-level advisory lock for each tenant whose
# deltas tags_fold_counts() folds, and the fold after loading the 10 000
# tenants of data_tenants.sql needs 10 000 of them, about all the default
# table holds
pg_virtualenv -t \
	"${destdir[@]}" \
	-o shared_buffers=2GB \
	-o effective_cache_size=16GB \
	-o max_wal_size=8GB \
	-o checkpoint_timeout=30min \
	-o maintenance_work_mem=1GB \
	-o max_locks_per_transaction=256 \
	bench/inner.sh
