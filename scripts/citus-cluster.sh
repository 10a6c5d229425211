#!/usr/bin/env bash
# A throwaway Citus cluster on loopback, for make test-citus (doc/citus.md):
#
#   scripts/citus-cluster.sh start DIR   coordinator and two workers in DIR
#   scripts/citus-cluster.sh plain DIR   beside them, a server without Citus
#                                        (port + 3: a logical replication
#                                        subscriber, citus/logical.sh)
#   scripts/citus-cluster.sh stop DIR    stop them all and remove DIR
#
# Ports CITUS_PORT (default 57640) for the coordinator, +1 and +2 for the
# workers; each node has shared_preload_libraries = 'citus' and
# pg_stat_statements, trust authentication on loopback, and database
# "regression" with the citus extension; the coordinator knows the workers
# (citus_add_node) and itself (citus_set_coordinator_host).  initdb refuses
# root: as root the nodes run as the postgres user.  Citus must be
# installed (scripts/build-citus.sh).  With CITUS_LOGICAL=1 every node
# also runs with wal_level = logical and Citus' change data capture, whose
# decoder names a shard's change with its distributed table
# (citus/logical.sh).
set -euo pipefail

action=${1:?usage: $0 start|plain|stop DIR}
dir=${2:?usage: $0 start|plain|stop DIR}
port=${CITUS_PORT:-57640}
bindir=$(pg_config --bindir)

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# node I CITUS: initdb and start node I of DIR on port + I, with database
# regression; with CITUS (yes) Citus is preloaded and created in it
node() {
	local i=$1 citus=$2 node=$dir/node$1
	as_owner "$bindir/initdb" -D "$node" -A trust -U postgres \
		--no-sync > "$dir/initdb$i.log"
	cat >> "$node/postgresql.conf" <<-EOF
		port = $((port + i))
		listen_addresses = 'localhost'
		unix_socket_directories = '$dir'
		fsync = off
		log_line_prefix = '%m [%p] node$i '
	EOF
	[ "$citus" = yes ] && cat >> "$node/postgresql.conf" <<-EOF
		shared_preload_libraries = 'citus, pg_stat_statements'
		max_connections = 200
		max_prepared_transactions = 200
		max_locks_per_transaction = 256
		citus.shard_count = 8
		citus.enable_statistics_collection = off
	EOF
	[ "$citus" = yes ] && [ "${CITUS_LOGICAL:-0}" = 1 ] && cat >> "$node/postgresql.conf" <<-EOF
		wal_level = logical
		max_wal_senders = 10
		max_replication_slots = 10
		citus.enable_change_data_capture = on
	EOF
	as_owner "$bindir/pg_ctl" -D "$node" -l "$dir/node$i.log" -w start > /dev/null
	as_owner "$bindir/psql" -X -q -h "$dir" -p $((port + i)) -U postgres \
		-d postgres -v ON_ERROR_STOP=1 -c 'CREATE DATABASE regression' > /dev/null
	[ "$citus" = yes ] || return 0
	as_owner "$bindir/psql" -X -q -h "$dir" -p $((port + i)) -U postgres \
		-d regression -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION citus' > /dev/null
}

case $action in
start)
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres "$dir"
	for i in 0 1 2; do node "$i" yes; done
	as_owner "$bindir/psql" -X -q -h "$dir" -p "$port" -U postgres \
		-d regression -v ON_ERROR_STOP=1 <<-EOF > /dev/null
		SELECT pg_catalog.citus_set_coordinator_host('localhost', $port);
		SELECT pg_catalog.citus_add_node('localhost', $((port + 1)));
		SELECT pg_catalog.citus_add_node('localhost', $((port + 2)));
	EOF
	echo "citus-cluster: coordinator on port $port, workers on $((port + 1)) and $((port + 2)), in $dir"
	;;
plain)
	node 3 no
	echo "citus-cluster: a server without Citus on port $((port + 3)), in $dir"
	;;
stop)
	for node in "$dir"/node*; do
		[ -d "$node" ] &&
			as_owner "$bindir/pg_ctl" -D "$node" -m immediate stop > /dev/null 2>&1 || true
	done
	rm -rf "$dir"
	;;
*)
	echo "usage: $0 start|plain|stop DIR" >&2
	exit 2
	;;
esac
