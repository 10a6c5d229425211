#!/usr/bin/env bash
# Logical replication of a distributed tenant target (make test-citus): a
# subscriber, a plain PostgreSQL server without Citus, reads exact counts,
# and the coordinator's answers, without tags_rebuild().
#
# The recipe of the README ("Running on Citus", "Logical replication"):
# every node runs with wal_level = logical and Citus' change data capture
# (citus.enable_change_data_capture, which citus-cluster.sh sets when
# CITUS_LOGICAL=1), so that a worker's decoder names a shard's change with
# its distributed table.  The publication of every table of the target is
# created on the coordinator, which Citus makes on every node; a slot on
# each worker (the nodes that hold shards: the coordinator holds none here);
# the subscriber has the extension and the same tags_enable() on a local
# table, and one subscription a worker.  A tenant's rows are all on one
# worker, so each tenant's stream is in its worker's order.
#
# Two tenants on two workers (account 1 and the first account after it whose
# shard is on the other worker, checked) hold the same names, in the list
# and in a context, so that each subscription carries one of them; the
# writes fold each tenant's deltas several times (tags.fold_every is 100 on
# every node: the counting trigger runs on the worker) and leave some
# pending; items are hidden, redated and deleted by the application, and a
# tag is renamed and merged in one tenant.  Then on the subscriber every
# count equals a GROUP BY of the subscriber's rows, and the subscriber
# answers as the coordinator.  Expects the cluster of citus-cluster.sh in
# CITUS_HOST, the coordinator on CITUS_PORT (workers on the next two
# ports), database regression; adds the subscriber to it (citus-cluster.sh
# plain, port CITUS_PORT + 3), which the cluster's stop stops.
set -euo pipefail
cd "$(dirname "$0")"

sub_port=$((CITUS_PORT + 3))
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
psql_on() {
	local port=$1
	shift
	as_owner psql -X -q -At -v ON_ERROR_STOP=1 -h "$CITUS_HOST" -p "$port" \
		-U postgres -d regression "$@"
}
fail() {
	echo "logical: $*"
	exit 1
}

# the subscriber, beside the cluster (stopped with it)
CITUS_PORT=$CITUS_PORT ../scripts/citus-cluster.sh plain "$CITUS_HOST" > /dev/null

# the same target on both: distributed on the cluster, local on the
# subscriber (logical replication carries rows, not DDL)
schema="
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tags;
CREATE SCHEMA lr;
CREATE TABLE lr.articles (
    account_id   bigint NOT NULL,
    id           bigint NOT NULL,
    status       text NOT NULL DEFAULT 'published',
    published_at timestamptz,
    PRIMARY KEY (account_id, id)
);"
enable="SELECT tags_enable('lr.articles', visible => \$\$status = 'published'\$\$,
                   sort_column => 'published_at', tenant_column => 'account_id',
                   contexts => ARRAY['skills']);"
psql_on "$CITUS_PORT" > /dev/null <<EOF
$schema
SELECT create_distributed_table('lr.articles', 'account_id');
$enable
EOF
psql_on "$sub_port" > /dev/null <<EOF
$schema
$enable
EOF

# account 1 and the first account after it on the other worker
other=$(psql_on "$CITUS_PORT" <<'EOF'
WITH node AS (
    SELECT a, (SELECT p.groupid FROM pg_dist_placement p
               WHERE p.shardid = get_shard_id_for_distribution_column('lr.articles', a)) AS g
    FROM generate_series(1, 50) a)
SELECT min(a) FROM node WHERE g <> (SELECT g FROM node WHERE a = 1)
EOF
)
[ -n "$other" ] || fail "no account of 2..50 is on another worker than account 1"
echo "tenants: accounts 1 and $other, on two workers"

# the publication of every table of the target (the target, its
# association tables, counters and the schema's tenant vocabulary), made
# on the coordinator and, by Citus, on the workers; a slot on each worker
# (Citus' pgoutput wrapper, found by the name pgoutput), one subscription
# a worker
tables=$(psql_on "$CITUS_PORT" -c "
SELECT string_agg(format('%I.%I', schemaname, tablename), ', ' ORDER BY tablename)
FROM pg_tables WHERE schemaname = 'lr'")
echo "publishing: $tables"
psql_on "$CITUS_PORT" -c "CREATE PUBLICATION tags_pub FOR TABLE $tables" > /dev/null
for w in 1 2; do
	port=$((CITUS_PORT + w))
	published=$(psql_on "$port" -c "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'tags_pub'")
	[ "$published" -gt 0 ] || fail "worker $w has no publication tags_pub"
	psql_on "$port" -c "SELECT pg_create_logical_replication_slot('tags_slot_$w', 'pgoutput')" > /dev/null
	psql_on "$sub_port" -c "CREATE SUBSCRIPTION tags_sub_$w
	    CONNECTION 'host=$CITUS_HOST port=$port user=postgres dbname=regression'
	    PUBLICATION tags_pub
	    WITH (create_slot = false, slot_name = 'tags_slot_$w', copy_data = false)" > /dev/null
done

# wait until each worker's slot has been confirmed up to where its WAL was
caught_up() {
	local w port lsn
	for w in 1 2; do
		port=$((CITUS_PORT + w))
		lsn=$(psql_on "$port" -c 'SELECT pg_current_wal_lsn()')
		for _ in $(seq 600); do
			[ "$(psql_on "$port" -c "SELECT confirmed_flush_lsn >= '$lsn'
			    FROM pg_replication_slots WHERE slot_name = 'tags_slot_$w'")" = t ] && continue 2
			sleep 0.1
		done
		fail "the subscription of worker $w did not catch up (see $CITUS_HOST/node3.log)"
	done
}

# round r sets the tags of items 1..60 of both accounts (those not
# deleted), in the list and in the context, from names shared by the
# accounts; the items are read first (Citus runs no subquery correlated
# with a set-returning function), and each call goes from the coordinator
round() {
	cat <<EOF
DO \$\$
DECLARE
    x record;
BEGIN
    FOR x IN SELECT account_id, id FROM lr.articles WHERE id <= 60 ORDER BY 1, 2 LOOP
        PERFORM item_set_tags('lr.articles', x.id,
            ARRAY(SELECT 'tag ' || ((x.id * 7 + j * $1) % 40)
                  FROM generate_series(1, 1 + (x.id + $1) % 6) AS j),
            tenant => x.account_id);
        IF x.id % 2 = 1 THEN
            PERFORM item_add_tags('lr.articles', x.id,
                ARRAY['skill ' || (x.id + $1) % 9, 'tag ' || (x.id * $1) % 40],
                tenant => x.account_id, context => 'skills');
        END IF;
    END LOOP;
END
\$\$;
EOF
}

# the writes, on the coordinator, a tenant's deltas folded every 100 of
# them: on every node, as the trigger that counts and folds runs on the
# worker that holds the shard, in Citus' connection, which a setting of the
# coordinator's session does not reach.  A role's setting in the database,
# which Citus sends to the workers (it refuses ALTER DATABASE there), for
# the connections made from now on; reset at the end
psql_on "$CITUS_PORT" -c 'ALTER ROLE postgres IN DATABASE regression SET tags.fold_every = 100' > /dev/null
for port in $((CITUS_PORT + 1)) $((CITUS_PORT + 2)); do
	[ "$(psql_on "$port" -c 'SHOW tags.fold_every')" = 100 ] ||
		fail "tags.fold_every is not 100 on the worker on port $port"
done
psql_on "$CITUS_PORT" > /dev/null <<EOF
INSERT INTO lr.articles (account_id, id, status, published_at)
SELECT a, i, CASE WHEN i % 9 = 0 THEN 'draft' ELSE 'published' END,
       CASE WHEN i % 11 <> 0 THEN timestamptz '2025-01-01 00:00+00' + i * interval '1 hour' END
FROM unnest(ARRAY[1, $other]) AS a, generate_series(1, 80) AS i;
EOF
for r in 1 2 3 4 5 6 7; do
	round "$r" | psql_on "$CITUS_PORT" > /dev/null
done
psql_on "$CITUS_PORT" > /dev/null <<EOF
UPDATE lr.articles SET status = 'draft' WHERE id % 10 = 3;
UPDATE lr.articles SET published_at = NULL WHERE id % 10 = 4;
DELETE FROM lr.articles WHERE id % 10 = 5;
SELECT tag_rename('tag-7', 'Renamed seven', target => 'lr.articles', tenant => 1);
SELECT tag_merge('tag-8', 'tag-9', target => 'lr.articles', tenant => 1);
SELECT count(*) FROM item_set_tags('lr.articles', 2, ARRAY['Only one', 'tag 1'], tenant => $other);
EOF
caught_up

# both parts of the counters are in play on the subscriber
# (of both tenants in the list)
counters=$(psql_on "$sub_port" -F ' ' -c "
SELECT (SELECT count(*) FROM lr.articles_tag_counts) + (SELECT count(*) FROM lr.articles_skills_tag_counts),
       (SELECT count(*) FROM lr.articles_tag_count_deltas) + (SELECT count(*) FROM lr.articles_skills_tag_count_deltas),
       (SELECT count(DISTINCT tenant) FROM lr.articles_tag_counts)")
read -r folded pending folded_tenants <<<"$counters"
echo "subscriber: $folded folded counts ($folded_tenants tenants), $pending pending deltas"
if [ "${folded:-0}" -eq 0 ] || [ "${pending:-0}" -eq 0 ] || [ "${folded_tenants:-0}" -ne 2 ]; then
	fail "the subscriber should have folded counts of both tenants, and pending deltas"
fi

# every count of each tenant and list, on the subscriber, equals a GROUP BY
# of the subscriber's rows (the tags counted on no visible item left out)
wrong=$(psql_on "$sub_port" -v other="$other" <<'EOF'
WITH oracle AS (
    SELECT l.list, t.tenant, t.id, t.name::text AS name, t.slug::text AS slug,
           (SELECT count(*)
            FROM (SELECT NULL::text AS list, * FROM lr.articles_tags
                  UNION ALL SELECT 'skills', * FROM lr.articles_skills_tags) a
            JOIN lr.articles x ON x.account_id = a.tenant AND x.id = a.item_id
            WHERE a.list IS NOT DISTINCT FROM l.list AND a.tenant = t.tenant
              AND a.tag_id = t.id AND x.status = 'published') AS n
    FROM lr.tenant_tags t, (VALUES (NULL), ('skills')) l(list)
), counted AS (
    SELECT l.list, a.tenant, c.*
    FROM unnest(ARRAY[1, :other]) a(tenant), (VALUES (NULL), ('skills')) l(list),
         LATERAL tag_item_counts('lr.articles', tenant => a.tenant, context => l.list) c
    WHERE c.item_count > 0
)
SELECT count(*)
FROM (SELECT * FROM oracle WHERE n > 0) o
FULL JOIN counted c
     ON c.list IS NOT DISTINCT FROM o.list AND c.tenant = o.tenant AND c.id = o.id
WHERE o.id IS NULL OR c.id IS NULL OR c.item_count <> o.n
   OR c.name <> o.name OR c.slug <> o.slug
EOF
)
echo "subscriber: $wrong counts differ from a GROUP BY of its rows"
[ "$wrong" = 0 ] || fail "the subscriber's counts are wrong"

# the subscriber answers as the coordinator: counts, pages, item tags and
# search in both tenants (t/logical_answers.sql, which t/009_logical.pl
# asks of a single server's subscriber, on schema lr here), the
# vocabulary and the association rows
answers="$(sed -e 's/app\./lr./g' -e "s/generate_series(1, 2)/unnest(ARRAY[1, $other])/g" ../t/logical_answers.sql)
SELECT string_agg(format('%s %s', t.tenant, t.slug), ';' ORDER BY t.tenant, t.id)
FROM lr.tenant_tags t;
SELECT md5(string_agg(format('%s %s %s %s %s', a.tenant, a.item_id, a.tag_id, a.item_visible, a.item_sort),
                      ';' ORDER BY a.tenant, a.item_id, a.tag_id))
FROM lr.articles_tags a;
SELECT md5(string_agg(format('%s %s %s %s %s', a.tenant, a.item_id, a.tag_id, a.item_visible, a.item_sort),
                      ';' ORDER BY a.tenant, a.item_id, a.tag_id))
FROM lr.articles_skills_tags a;
SELECT md5(string_agg(format('%s %s %s %s', x.account_id, x.id, x.status, x.published_at),
                      ';' ORDER BY x.account_id, x.id))
FROM lr.articles x;"
on_coordinator=$(psql_on "$CITUS_PORT" <<<"$answers")
on_subscriber=$(psql_on "$sub_port" <<<"$answers")
[ "$on_subscriber" = "$on_coordinator" ] || {
	diff <(echo "$on_coordinator") <(echo "$on_subscriber") | head -n 20
	fail "the subscriber does not answer as the coordinator"
}
echo "$on_coordinator" | grep -qE "(^|;)1 [0-9]+ renamed-seven" || fail "the rename is not among the answers"
echo "$on_coordinator" | grep -qE "(^|;)$other [0-9]+ renamed-seven" && fail "the rename reached account $other"
echo "subscriber: answers as the coordinator"

# a fold of every tenant on the coordinator, then more writes: the folded
# counts arrive too
psql_on "$CITUS_PORT" -c 'SELECT tags_fold_counts()' > /dev/null
round 8 | psql_on "$CITUS_PORT" > /dev/null
caught_up
on_coordinator=$(psql_on "$CITUS_PORT" <<<"$answers")
on_subscriber=$(psql_on "$sub_port" <<<"$answers")
[ "$on_subscriber" = "$on_coordinator" ] ||
	fail "after a fold and more writes, the subscriber does not answer as the coordinator"
echo "subscriber: after a fold and more writes, answers as the coordinator"
psql_on "$CITUS_PORT" -c 'ALTER ROLE postgres IN DATABASE regression RESET tags.fold_every' > /dev/null
echo "logical: ok"
