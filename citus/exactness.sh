#!/usr/bin/env bash
# Exactness on a Citus cluster under concurrent writers (make test-citus):
# a tenant target distributed by its tenant column, 20 tenants of 200
# items, and 8 pgbench clients for EXACT_SECS seconds (default 30), each
# transaction one of: item_set_tags, item_add_tags, item_remove_tags (own
# list or context), the application's UPDATE of an item's visibility or
# sort column, a DELETE of an item and its INSERT again.  Then every count
# must equal a live GROUP BY of the associations and items, every copy its
# item's values, and no association may be left without its item: before
# tags_fold_counts(), after it, and after tags_rebuild().  Expects the
# coordinator at CITUS_HOST:CITUS_PORT, database regression.
set -euo pipefail
cd "$(dirname "$0")"

secs=${EXACT_SECS:-30}
psql=(psql -X -q -v ON_ERROR_STOP=1 -h "$CITUS_HOST" -p "$CITUS_PORT" -U postgres -d regression)
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

as_owner "${psql[@]}" <<'EOF'
CREATE EXTENSION IF NOT EXISTS tags;
DROP SCHEMA IF EXISTS ex CASCADE;
CREATE SCHEMA ex;
CREATE TABLE ex.items (
    tenant_id bigint NOT NULL,
    id bigint NOT NULL,
    status text NOT NULL,
    published_at timestamptz,
    PRIMARY KEY (tenant_id, id)
);
SELECT create_distributed_table('ex.items', 'tenant_id');
SELECT tags_enable('ex.items', $$status = 'published'$$, 'published_at',
                   tenant_column => 'tenant_id', contexts => ARRAY['skills']);
INSERT INTO ex.items
SELECT t, i, CASE WHEN i % 4 = 0 THEN 'draft' ELSE 'published' END,
       CASE WHEN i % 7 <> 0 THEN '2026-01-01'::timestamptz + i * interval '1 hour' END
FROM generate_series(1, 20) t, generate_series(1, 200) i;

-- one random step of a client
CREATE FUNCTION ex.step(op int, t bigint, i bigint, a int, b int) RETURNS void AS $$
DECLARE
    new_status text;
    new_date timestamptz;
BEGIN
    CASE op
    WHEN 1, 2 THEN
        PERFORM item_set_tags('ex.items', i, ARRAY['w' || a, 'w' || b, 'w' || (a + b)],
                              tenant => t);
    WHEN 3 THEN
        PERFORM item_add_tags('ex.items', i, ARRAY['w' || a], tenant => t);
    WHEN 4 THEN
        PERFORM item_remove_tags('ex.items', i, ARRAY['w' || a, 'w' || b], tenant => t);
    WHEN 5 THEN
        PERFORM item_set_tags('ex.items', i, ARRAY['s' || a, 's' || b],
                              tenant => t, context => 'skills');
    WHEN 6 THEN
        SELECT CASE WHEN x.status = 'draft' THEN 'published' ELSE 'draft' END
        INTO new_status FROM ex.items x WHERE x.tenant_id = t AND x.id = i;
        UPDATE ex.items SET status = new_status WHERE tenant_id = t AND id = i;
    WHEN 7 THEN
        IF a % 5 <> 0 THEN
            new_date := '2026-01-01'::timestamptz + a * interval '1 day';
        END IF;
        UPDATE ex.items SET published_at = new_date WHERE tenant_id = t AND id = i;
    WHEN 8 THEN
        DELETE FROM ex.items WHERE tenant_id = t AND id = i;
        INSERT INTO ex.items VALUES (t, i, 'published', now()) ON CONFLICT DO NOTHING;
    ELSE
        PERFORM item_get_tags('ex.items', i, tenant => t);
    END CASE;
EXCEPTION WHEN no_data_found THEN
    -- the item was deleted and inserted again by a step that committed
    -- while this one waited for its row: the writer says it is gone
    -- (P0002), as on a single server
    NULL;
END
$$ LANGUAGE plpgsql;

-- rows that differ from the live GROUP BY, stale copies and orphans, of
-- both lists
CREATE FUNCTION ex.wrong(OUT wrong_counts bigint, OUT stale_copies bigint,
                         OUT orphans bigint) AS $$
    WITH counted AS MATERIALIZED (
        SELECT l.list, g.t AS tenant, c.id, c.item_count
        FROM generate_series(1, 20) g(t), (VALUES (NULL), ('skills')) l(list),
             LATERAL tag_item_counts('ex.items', tenant => g.t, context => l.list) c
        WHERE c.item_count > 0
    ), live AS MATERIALIZED (
        SELECT a.list, a.tenant, a.tag_id, count(*) AS item_count
        FROM (SELECT NULL::text AS list, * FROM ex.items_tags
              UNION ALL SELECT 'skills', * FROM ex.items_skills_tags) a
        JOIN ex.items i ON i.tenant_id = a.tenant AND i.id = a.item_id
        WHERE i.status = 'published'
        GROUP BY a.list, a.tenant, a.tag_id
    )
    SELECT
      (SELECT count(*) FROM ((TABLE counted EXCEPT TABLE live)
                             UNION ALL (TABLE live EXCEPT TABLE counted)) d),
      (SELECT count(*)
       FROM (SELECT * FROM ex.items_tags UNION ALL SELECT * FROM ex.items_skills_tags) a
       JOIN ex.items i ON i.tenant_id = a.tenant AND i.id = a.item_id
       WHERE a.item_visible IS DISTINCT FROM (i.status = 'published')
          OR a.item_sort IS DISTINCT FROM coalesce(i.published_at, '-infinity')),
      (SELECT count(*)
       FROM (SELECT * FROM ex.items_tags UNION ALL SELECT * FROM ex.items_skills_tags) a
       WHERE NOT EXISTS (SELECT FROM ex.items i
                         WHERE i.tenant_id = a.tenant AND i.id = a.item_id))
$$ LANGUAGE sql;
EOF

script=$(mktemp)
trap 'rm -f "$script"' EXIT
cat > "$script" <<'EOF'
\set op random(1, 10)
\set t random(1, 20)
\set i random(1, 200)
\set a random(1, 30)
\set b random(1, 30)
SELECT ex.step(:op, :t, :i, :a, :b);
EOF
chmod 644 "$script"
log=$(as_owner pgbench -n -h "$CITUS_HOST" -p "$CITUS_PORT" -U postgres -c 8 -j 2 \
	-T "$secs" --max-tries=20 -f "$script" regression 2>&1) || true
echo "$log" | grep -E '^(number of (transactions|failed|transactions retried)|tps|.*aborted)' || true
if ! echo "$log" | grep -q '^number of transactions actually processed'; then
	echo "$log" | tail -n 20
	echo "exactness: pgbench did not finish"
	exit 1
fi
if echo "$log" | grep -qE 'aborted|^number of failed transactions: [1-9]'; then
	echo "$log" | grep -E 'ERROR|aborted|failed' | sort | uniq -c | head -n 20
	echo "exactness: some transactions failed"
	exit 1
fi

result=$(as_owner "${psql[@]}" -At <<'EOF'
SELECT 'before folding ' || wrong_counts || ' ' || stale_copies || ' ' || orphans FROM ex.wrong();
SELECT 'folded ' || (tags_fold_counts() >= 0);
SELECT 'after folding ' || wrong_counts || ' ' || stale_copies || ' ' || orphans FROM ex.wrong();
SELECT 'rebuilt' FROM (SELECT tags_rebuild()) r;
SELECT 'after rebuilding ' || wrong_counts || ' ' || stale_copies || ' ' || orphans FROM ex.wrong();
SELECT 'associations ' || (SELECT count(*) FROM ex.items_tags) || ' ' || (SELECT count(*) FROM ex.items_skills_tags);
EOF
)
echo "$result"
echo "$result" | grep -q '^before folding 0 0 0$' &&
	echo "$result" | grep -q '^after folding 0 0 0$' &&
	echo "$result" | grep -q '^after rebuilding 0 0 0$' || {
	echo "exactness: counts, copies or associations are wrong (wrong counts, stale copies, orphans)"
	exit 1
}
echo "exactness: ok"
