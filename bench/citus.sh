#!/usr/bin/env bash
# make bench-citus: a tenant's calls on Citus against the same calls on a
# single server, in the same run (bench/README.md, "On Citus").
#
# Starts a coordinator and two workers (scripts/citus-cluster.sh, Citus built
# by scripts/build-citus.sh if missing) and makes four tenant targets of
# CITUS_ITEMS items each (default 100 000), about 4 tags an item from a
# vocabulary of 50 names per tenant, tag 1 on every item:
#
#   dist_10, dist_10000    distributed by the tenant column, 10 and 10 000
#                          tenants
#   local_10, local_10000  the same tables on the coordinator alone, which
#                          Citus does not hold: a single server
#
# Then, with one pgbench client for CITUS_SECS seconds (default 10) a run,
# each run made CITUS_ROUNDS times (default 3) in turn, the median latency
# of: item_set_tags of 4 existing names on a random item of a random tenant
# (set), the first page of tag 1 of a random tenant (page), item_get_tags
# of a random item (get) and tag_item_count of tag 1 (count), both without
# a goal, and the item's row read by its key (hop: on Citus, one hop of the
# router, the floor of any call, set against the single server's page, no
# goal).  Goals:
# Citus within 2x of the single server (dist ÷ local), and the per-call
# cost flat in the number of tenants (10 000 ÷ 10 within 1.2x).  And the
# same five calls, without a goal, on a target without tenants of as many
# items, 50 tags: key_dist distributed by its key (its tags in the global
# vocabulary of its schema, reference tables), key_local the same table on
# the coordinator alone (the extension's tags).  The table goes to
# bench/results/citus.txt, pgbench's outputs to citus.log.
set -euo pipefail
cd "$(dirname "$0")/.."

items=${CITUS_ITEMS:-100000}
secs=${CITUS_SECS:-10}
rounds=${CITUS_ROUNDS:-3}
port=${CITUS_PORT:-57650}
vocabulary=50
results=bench/results
mkdir -p "$results"

scripts/build-citus.sh
scripts/build-install.sh > /dev/null
dir=$(mktemp -d /tmp/tags-bench-citus.XXXXXX)
work=$(mktemp -d)
trap 'scripts/citus-cluster.sh stop "$dir"; rm -rf "$work"' EXIT
CITUS_PORT=$port scripts/citus-cluster.sh start "$dir"
chmod 755 "$work"

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
psql_c() {
	as_owner psql -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres \
		-d regression "$@"
}

psql_c -c 'CREATE EXTENSION tags'
for schema in dist_10 dist_10000 local_10 local_10000; do
	tenants=${schema#*_}
	started=$(date +%s)
	psql_c <<-EOF
		CREATE SCHEMA $schema;
		CREATE TABLE $schema.articles (
		    account_id bigint NOT NULL,
		    id bigint NOT NULL,
		    status text NOT NULL,
		    published_at timestamptz NOT NULL,
		    PRIMARY KEY (account_id, id));
		$(case $schema in dist_*) echo "SELECT create_distributed_table('$schema.articles', 'account_id');" ;; esac)
		SELECT tags_enable('$schema.articles', \$\$status = 'published'\$\$, 'published_at',
		                   tenant_column => 'account_id');
		-- item i is tenant (i % tenants) + 1's
		INSERT INTO $schema.articles
		SELECT i % $tenants + 1, i, 'published',
		       '2026-01-01'::timestamptz + i * interval '1 minute'
		FROM generate_series(1, $items) i;
		-- tag v of tenant t has id (t - 1) * $vocabulary + v
		INSERT INTO $schema.tenant_tags (tenant, id, name, slug)
		SELECT t, (t - 1) * $vocabulary + v, 'tag ' || v, 'tag-' || v
		FROM generate_series(1, $tenants) t, generate_series(1, $vocabulary) v;
		SELECT setval(pg_get_serial_sequence('$schema.tenant_tags', 'id'),
		              $tenants * $vocabulary);
		-- tag 1 and three others on every item
		INSERT INTO $schema.articles_tags (tenant, item_id, tag_id, position)
		SELECT a.account_id, a.id,
		       (a.account_id - 1) * $vocabulary
		       + CASE WHEN k = 1 THEN 1 ELSE (a.id + 7 * k) % ($vocabulary - 1) + 2 END,
		       k
		FROM $schema.articles a, generate_series(1, 4) k;
		SELECT tags_fold_counts() >= 0 AS folded;
		VACUUM ANALYZE $schema.articles, $schema.articles_tags, $schema.tenant_tags,
		               $schema.articles_tag_counts;
	EOF
	echo "bench-citus: $schema loaded in $(($(date +%s) - started)) s"
done
for schema in key_dist key_local; do
	started=$(date +%s)
	case $schema in
	key_dist) tags=$schema.global_tags ;;
	*) tags=tags ;;
	esac
	psql_c <<-EOF
		CREATE SCHEMA $schema;
		CREATE TABLE $schema.articles (
		    id bigint PRIMARY KEY,
		    status text NOT NULL,
		    published_at timestamptz NOT NULL);
		$(case $schema in key_dist) echo "SELECT create_distributed_table('$schema.articles', 'id');" ;; esac)
		SELECT tags_enable('$schema.articles', \$\$status = 'published'\$\$, 'published_at');
		INSERT INTO $schema.articles
		SELECT i, 'published', '2026-01-01'::timestamptz + i * interval '1 minute'
		FROM generate_series(1, $items) i;
		-- tag v has id v
		INSERT INTO $tags (id, name, slug)
		SELECT v, 'tag ' || v, 'tag-' || v FROM generate_series(1, $vocabulary) v;
		SELECT setval(pg_get_serial_sequence('$tags', 'id'), $vocabulary);
		INSERT INTO $schema.articles_tags (item_id, tag_id, position)
		SELECT a.id,
		       CASE WHEN k = 1 THEN 1 ELSE (a.id + 7 * k) % ($vocabulary - 1) + 2 END,
		       k
		FROM $schema.articles a, generate_series(1, 4) k;
		SELECT tags_fold_counts() >= 0 AS folded;
		VACUUM ANALYZE $schema.articles, $schema.articles_tags, $tags,
		               $schema.articles_tag_counts;
	EOF
	echo "bench-citus: $schema loaded in $(($(date +%s) - started)) s"
	cat > "$work/set_$schema.sql" <<-EOF
		\set i random(1, $items)
		\set a random(2, $vocabulary)
		\set b random(2, $vocabulary)
		\set c random(2, $vocabulary)
		SELECT count(*) FROM item_set_tags('$schema.articles', :i,
		    ARRAY['tag 1', 'tag ' || :a, 'tag ' || :b, 'tag ' || :c]);
	EOF
	cat > "$work/page_$schema.sql" <<-EOF
		SELECT count(*) FROM items_by_tag(NULL::$schema.articles, 'tag-1', 1, 20);
	EOF
	cat > "$work/get_$schema.sql" <<-EOF
		\set i random(1, $items)
		SELECT count(*) FROM item_get_tags('$schema.articles', :i);
	EOF
	cat > "$work/count_$schema.sql" <<-EOF
		SELECT tag_item_count('$schema.articles', 'tag-1');
	EOF
	cat > "$work/hop_$schema.sql" <<-EOF
		\set i random(1, $items)
		SELECT status FROM $schema.articles WHERE id = :i;
	EOF
done

# the workloads: :t a tenant, :i one of its items (i % tenants + 1 = t)
for schema in dist_10 dist_10000 local_10 local_10000; do
	tenants=${schema#*_}
	per=$((items / tenants))
	cat > "$work/set_$schema.sql" <<-EOF
		\set t random(1, $tenants)
		\set j random(1, $((per - 1)))
		\set i :j * $tenants + :t - 1
		\set a random(2, $vocabulary)
		\set b random(2, $vocabulary)
		\set c random(2, $vocabulary)
		SELECT count(*) FROM item_set_tags('$schema.articles', :i,
		    ARRAY['tag 1', 'tag ' || :a, 'tag ' || :b, 'tag ' || :c], tenant => :t);
	EOF
	cat > "$work/page_$schema.sql" <<-EOF
		\set t random(1, $tenants)
		SELECT count(*) FROM items_by_tag(NULL::$schema.articles, 'tag-1', 1, 20, tenant => :t);
	EOF
	cat > "$work/get_$schema.sql" <<-EOF
		\set t random(1, $tenants)
		\set j random(1, $((per - 1)))
		\set i :j * $tenants + :t - 1
		SELECT count(*) FROM item_get_tags('$schema.articles', :i, tenant => :t);
	EOF
	cat > "$work/count_$schema.sql" <<-EOF
		\set t random(1, $tenants)
		SELECT tag_item_count('$schema.articles', 'tag-1', tenant => :t);
	EOF
	cat > "$work/hop_$schema.sql" <<-EOF
		\set t random(1, $tenants)
		\set j random(1, $((per - 1)))
		\set i :j * $tenants + :t - 1
		SELECT status FROM $schema.articles WHERE account_id = :t AND id = :i;
	EOF
done
chmod 644 "$work"/*.sql

log=$results/citus.log
: > "$log"
# latency WORKLOAD SCHEMA: one pgbench run, its mean latency in ms
latency() {
	local out
	out=$(as_owner pgbench -n -h "$dir" -p "$port" -U postgres -c 1 -T "$secs" \
		-f "$work/$1_$2.sql" regression 2>&1)
	echo "== $1 $2" >> "$log"
	echo "$out" >> "$log"
	echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p'
}
median() {
	tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

declare -A runs
for round in $(seq "$rounds"); do
	for workload in set page get count hop; do
		for schema in local_10 dist_10 local_10000 dist_10000 key_local key_dist; do
			runs[$workload,$schema]+=" $(latency "$workload" "$schema")"
		done
	done
done

# row WORKLOAD WHAT A B GOAL: a table row, B's latency ÷ A's against GOAL
# (at most)
met=0
goals=0
line() {
	printf '%-10s | %-8s | %-12s | %-12s | %-9s | %-8s | %s\n' "$@"
}
row() {
	local a b r ok
	a=$(echo "${runs[$1,$3]}" | median)
	b=$(echo "${runs[$1,$4]}" | median)
	r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }')
	ok=$(awk -v r="$r" -v g="$5" 'BEGIN { print (r <= g ? "yes" : "no") }')
	goals=$((goals + 1))
	[ "$ok" = no ] || met=$((met + 1))
	line "$1" "$2" "$a ms" "$b ms" "${r}x" "<= ${5}x" "$ok"
}
# info LABEL WHAT A B: a table row of run B's latency ÷ run A's (keys of
# runs), no goal
info() {
	local a b r
	a=$(echo "${runs[$3]}" | median)
	b=$(echo "${runs[$4]}" | median)
	r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }')
	line "$1" "$2" "$a ms" "$b ms" "${r}x" "" ""
}

table=$results/citus.txt
{
	echo "tags on Citus, $(date -u '+%Y-%m-%d %H:%M UTC'): $items items a target, $vocabulary tags a tenant, 4 tags an item"
	echo "Citus $(psql_c -At -c "SELECT extversion FROM pg_extension WHERE extname = 'citus'"), $(psql_c -At -c 'SHOW server_version'), a coordinator and two workers on one machine, $(nproc) cores"
	echo "median of $rounds runs of $secs s, 1 client; local = the same tables on the coordinator, not distributed"
	echo
	line workload tenants local dist "dist/local" goal met?
	line -------- ------- ----- ---- ---------- ---- ----
	for workload in set page; do
		for tenants in 10 10000; do
			row "$workload" "$tenants" "local_$tenants" "dist_$tenants" 2
		done
	done
	echo
	echo "the other calls sent as one statement (no goal): item_get_tags of a random item, tag_item_count of tag 1"
	line workload tenants local dist "dist/local" "" ""
	line -------- ------- ----- ---- ---------- "" ""
	for workload in get count; do
		for tenants in 10 10000; do
			info "$workload" "$tenants" "$workload,local_$tenants" \
				"$workload,dist_$tenants"
		done
	done
	echo
	echo "the floor: one hop of Citus (a router SELECT of one item's row, dist) against the page on the single server (local)"
	line workload tenants "local page" "dist hop" "hop/page" "" ""
	line -------- ------- ---------- -------- -------- "" ""
	for tenants in 10 10000; do
		# Citus' one hop (a router SELECT of one row) against the single
		# server's page: what 2x leaves for the rest of a call
		info "hop/page" "$tenants" "page,local_$tenants" "hop,dist_$tenants"
	done
	echo
	echo "a target without tenants distributed by its key (no goal): an item's calls on its shard group, a tag's page and count over every shard group"
	line workload tenants local dist "dist/local" "" ""
	line -------- ------- ----- ---- ---------- "" ""
	for workload in set page get count hop; do
		info "$workload" none "$workload,key_local" "$workload,key_dist"
	done
	echo
	line workload kind "10 tenants" "10000" "ratio" goal met?
	line -------- ---- ---------- ----- ----- ---- ----
	for workload in set page; do
		for kind in dist local; do
			row "$workload" "$kind" "${kind}_10" "${kind}_10000" 1.2
		done
	done
	echo
	echo "$met of $goals goals met"
} | tee "$table"
