#!/usr/bin/env bash
# Exactness on a Citus cluster under concurrent writers (make test-citus):
# a tenant target distributed by its tenant column, 20 tenants of 200
# items, and a target without tenants distributed by its key, 400 items,
# whose tags are made in the global vocabulary by the clients at once; 8
# pgbench clients for EXACT_SECS seconds (default 30), each transaction
# one of, on either target: item_set_tags, item_add_tags, item_remove_tags
# (own list or context), the application's UPDATE of an item's visibility
# or sort column, a DELETE of an item and its INSERT again.  The shard
# groups fold their counts every few deltas.  Then every count must equal
# a live GROUP BY of the associations and items, every copy its item's
# values, and no association may be left without its item: before
# tags_fold_counts(), after it, and after tags_rebuild(); and every node's
# copy of the global vocabulary must be the same, without two tags of a
# name.  Expects the coordinator at CITUS_HOST:CITUS_PORT, database
# regression.
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
CREATE TABLE ex.posts (
    id bigint PRIMARY KEY,
    status text NOT NULL,
    published_at timestamptz
);
SELECT create_distributed_table('ex.posts', 'id');
SELECT tags_enable('ex.posts', $$status = 'published'$$, 'published_at',
                   contexts => ARRAY['skills']);
INSERT INTO ex.posts
SELECT i, CASE WHEN i % 4 = 0 THEN 'draft' ELSE 'published' END,
       CASE WHEN i % 7 <> 0 THEN '2026-01-01'::timestamptz + i * interval '1 hour' END
FROM generate_series(1, 400) i;

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
    WHEN 9, 10 THEN
        PERFORM item_get_tags('ex.items', i, tenant => t);
    -- the target distributed by its key: item t * 20 + i % 20
    WHEN 11, 12 THEN
        PERFORM item_set_tags('ex.posts', t * 20 + i % 20,
                              ARRAY['p' || a, 'p' || b, 'p' || (a + b)]);
    WHEN 13 THEN
        PERFORM item_add_tags('ex.posts', t * 20 + i % 20, ARRAY['p' || a]);
    WHEN 14 THEN
        PERFORM item_remove_tags('ex.posts', t * 20 + i % 20,
                                 ARRAY['p' || a, 'p' || b]);
    WHEN 15 THEN
        PERFORM item_set_tags('ex.posts', t * 20 + i % 20,
                              ARRAY['q' || a, 'q' || b], context => 'skills');
    WHEN 16 THEN
        UPDATE ex.posts SET status = CASE WHEN status = 'draft' THEN 'published'
                                          ELSE 'draft' END
        WHERE id = t * 20 + i % 20;
    WHEN 17 THEN
        IF a % 5 <> 0 THEN
            new_date := '2026-01-01'::timestamptz + a * interval '1 day';
        END IF;
        UPDATE ex.posts SET published_at = new_date WHERE id = t * 20 + i % 20;
    WHEN 18 THEN
        DELETE FROM ex.posts WHERE id = t * 20 + i % 20;
        INSERT INTO ex.posts VALUES (t * 20 + i % 20, 'published', now())
        ON CONFLICT DO NOTHING;
    ELSE
        PERFORM item_get_tags('ex.posts', t * 20 + i % 20);
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

-- the same of the target distributed by its key
CREATE FUNCTION ex.wrong_posts(OUT wrong_counts bigint, OUT stale_copies bigint,
                               OUT orphans bigint) AS $$
    WITH counted AS MATERIALIZED (
        SELECT l.list, c.id, c.item_count
        FROM (VALUES (NULL), ('skills')) l(list),
             LATERAL tag_item_counts('ex.posts', context => l.list) c
        WHERE c.item_count > 0
    ), live AS MATERIALIZED (
        SELECT a.list, a.tag_id, count(*) AS item_count
        FROM (SELECT NULL::text AS list, * FROM ex.posts_tags
              UNION ALL SELECT 'skills', * FROM ex.posts_skills_tags) a
        JOIN ex.posts i ON i.id = a.item_id
        WHERE i.status = 'published'
        GROUP BY a.list, a.tag_id
    )
    SELECT
      (SELECT count(*) FROM ((TABLE counted EXCEPT TABLE live)
                             UNION ALL (TABLE live EXCEPT TABLE counted)) d),
      (SELECT count(*)
       FROM (SELECT * FROM ex.posts_tags UNION ALL SELECT * FROM ex.posts_skills_tags) a
       JOIN ex.posts i ON i.id = a.item_id
       WHERE a.item_visible IS DISTINCT FROM (i.status = 'published')
          OR a.item_sort IS DISTINCT FROM coalesce(i.published_at, '-infinity')),
      (SELECT count(*)
       FROM (SELECT * FROM ex.posts_tags UNION ALL SELECT * FROM ex.posts_skills_tags) a
       LEFT JOIN ex.posts i ON i.id = a.item_id
       WHERE i.id IS NULL)
$$ LANGUAGE sql;

-- the number of different copies of the global vocabulary's tables over
-- the nodes beyond one (0: the same everywhere), and of names held twice
CREATE FUNCTION ex.vocabulary_copies(OUT copies bigint, OUT twice bigint) AS $$
    SELECT (SELECT count(DISTINCT result) FROM (
                SELECT result FROM run_command_on_placements('ex.global_tags',
                    'SELECT md5(string_agg(id || name || slug, '','' ORDER BY id)) FROM %s')
                UNION ALL
                SELECT 'synonyms ' || result
                FROM run_command_on_placements('ex.global_tag_synonyms',
                    'SELECT md5(string_agg(name || tag_id, '','' ORDER BY name)) FROM %s')) r)
           - 2,
           (SELECT count(*) - count(DISTINCT name) FROM ex.global_tags)
$$ LANGUAGE sql;

-- the shard groups fold every few deltas (Citus passes the setting on to
-- the workers with the role)
ALTER ROLE CURRENT_USER SET tags.fold_every = 5;
EOF

script=$(mktemp)
trap 'rm -f "$script"' EXIT
cat > "$script" <<'EOF'
\set op random(1, 20)
\set t random(1, 20)
\set i random(1, 200)
\set a random(1, 30)
\set b random(1, 30)
SELECT ex.step(:op, :t, :i, :a, :b);
EOF
chmod 644 "$script"
log=$(as_owner pgbench -n -h "$CITUS_HOST" -p "$CITUS_PORT" -U postgres -c 8 -j 2 \
	-T "$secs" --max-tries=20 --verbose-errors -f "$script" regression 2>&1) || true
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
ALTER ROLE CURRENT_USER RESET tags.fold_every;
SELECT 'posts before folding ' || wrong_counts || ' ' || stale_copies || ' ' || orphans FROM ex.wrong_posts();
SELECT 'posts folded per shard group ' || (count(*) > count(DISTINCT tag_id)) FROM ex.posts_tag_counts;
SELECT 'before folding ' || wrong_counts || ' ' || stale_copies || ' ' || orphans FROM ex.wrong();
SELECT 'folded ' || (tags_fold_counts() >= 0);
SELECT 'after folding ' || wrong_counts || ' ' || stale_copies || ' ' || orphans FROM ex.wrong();
SELECT 'rebuilt' FROM (SELECT tags_rebuild()) r;
SELECT 'after rebuilding ' || wrong_counts || ' ' || stale_copies || ' ' || orphans FROM ex.wrong();
SELECT 'posts after folding and rebuilding ' || wrong_counts || ' ' || stale_copies || ' ' || orphans FROM ex.wrong_posts();
SELECT 'vocabulary copies ' || copies || ' ' || twice FROM ex.vocabulary_copies();
SELECT 'posts associations ' || (SELECT count(*) FROM ex.posts_tags) || ' ' || (SELECT count(*) FROM ex.posts_skills_tags) || ', tags ' || (SELECT count(*) FROM ex.global_tags);
SELECT 'associations ' || (SELECT count(*) FROM ex.items_tags) || ' ' || (SELECT count(*) FROM ex.items_skills_tags);
EOF
)
echo "$result"
echo "$result" | grep -q '^posts before folding 0 0 0$' &&
	echo "$result" | grep -q '^posts after folding and rebuilding 0 0 0$' &&
	echo "$result" | grep -q '^vocabulary copies 0 0$' &&
	echo "$result" | grep -q '^before folding 0 0 0$' &&
	echo "$result" | grep -q '^after folding 0 0 0$' &&
	echo "$result" | grep -q '^after rebuilding 0 0 0$' || {
	echo "exactness: counts, copies or associations are wrong (wrong counts, stale copies, orphans)"
	exit 1
}
echo "exactness: ok"
