-- A tenant's call reads no row of another tenant (1.3): every statement it
-- runs restricts every table to the tenant, so the rows it reads (those
-- its sequential scans return and its index scans fetch,
-- pg_stat_get_xact_*) do not grow when 200 tenants with the same items
-- and names join the 20 there are: a statement that did not name the
-- tenant would read hundreds more.  (They may fall: the planner reads a
-- tenant's few rows of a small table in one scan, and looks each up when
-- the table is larger.)  Sequential scans are off, as on tables worth
-- sharding, so that a statement reads what it names.

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;
SET enable_seqscan = off;

CREATE TABLE tr_docs (
    account_id      bigint NOT NULL,
    id              bigint NOT NULL,
    published_at    timestamptz NOT NULL,
    PRIMARY KEY (account_id, id)
);
SELECT tags_enable('tr_docs', sort_column => 'published_at',
                   tenant_column => 'account_id', contexts => ARRAY['topics']);

-- accounts a .. b, 20 documents each, tagged from the same ten names
CREATE FUNCTION pg_temp.fill(a bigint, b bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tr_docs
    SELECT t, i, timestamptz '2026-01-01' + i * interval '1 hour'
    FROM generate_series(a, b) AS t, generate_series(1, 20) AS i;
    PERFORM item_set_tags('tr_docs', d.id,
                          ARRAY['name ' || d.id % 10, 'name ' || (d.id + 3) % 10],
                          tenant => d.account_id)
    FROM tr_docs d WHERE d.account_id BETWEEN a AND b;
    PERFORM item_set_tags('tr_docs', d.id, ARRAY['topic ' || d.id % 3],
                          tenant => d.account_id, context => 'topics')
    FROM tr_docs d WHERE d.account_id BETWEEN a AND b;
END
$$;

-- the rows a piece of SQL reads in the tenant's tables, undone after (a
-- writer's changes too, so that each reading starts from the same rows):
-- the live rows index scans fetch, and those sequential scans return (the
-- index entries scans return would count the dead rows the undoing left)
CREATE FUNCTION pg_temp.reads() RETURNS bigint
LANGUAGE sql AS $$
    SELECT sum(pg_stat_get_xact_tuples_fetched(c.oid) +
               CASE c.relkind WHEN 'r' THEN pg_stat_get_xact_tuples_returned(c.oid)
                              ELSE 0 END)
    FROM pg_class c
    WHERE c.relname LIKE 'tr\_%' OR c.relname LIKE 'tenant\_%'
$$;
CREATE FUNCTION pg_temp.rows_read(sql text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    before bigint;
    n bigint;
BEGIN
    BEGIN
        before := pg_temp.reads();
        EXECUTE sql;
        n := pg_temp.reads() - before;
        RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'undo';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    RETURN n;
END
$$;

-- the calls of tenant 1: every reader, writer and tag care
CREATE TEMP TABLE calls (call text);
INSERT INTO calls VALUES
    ($$SELECT * FROM item_get_tags('tr_docs', 5, tenant => 1)$$),
    ($$SELECT * FROM item_get_tags('tr_docs', 5, tenant => 1, context => 'topics')$$),
    ($$SELECT * FROM item_set_tags('tr_docs', 5, ARRAY['name 1', 'name 9'], tenant => 1)$$),
    ($$SELECT * FROM item_set_tags('tr_docs', 5, ARRAY['name 1', 'brand new'], tenant => 1)$$),
    ($$SELECT * FROM item_add_tags('tr_docs', 5, ARRAY['name 7'], tenant => 1)$$),
    ($$SELECT * FROM item_remove_tags('tr_docs', 5, ARRAY['name 5'], tenant => 1)$$),
    ($$SELECT * FROM tags_get_or_create(ARRAY['name 2', 'other new'], target => 'tr_docs', tenant => 1)$$),
    ($$SELECT * FROM tag_item_counts('tr_docs', tenant => 1)$$),
    ($$SELECT * FROM tag_item_counts('tr_docs', 3, tenant => 1)$$),
    ($$SELECT * FROM tag_item_count('tr_docs', 'name-4', tenant => 1)$$),
    ($$SELECT * FROM items_by_tag(NULL::tr_docs, 'name-4', tenant => 1)$$),
    ($$SELECT * FROM items_by_tag_after(NULL::tr_docs, 'name-4',
                    (SELECT d FROM tr_docs d WHERE account_id = 1 AND id = 14), tenant => 1)$$),
    ($$SELECT * FROM items_tagged(NULL::tr_docs, ARRAY['name 4', 'name 7'], tenant => 1)$$),
    ($$SELECT * FROM items_tagged(NULL::tr_docs, ARRAY['name 4', 'name 7'], 'any', tenant => 1)$$),
    ($$SELECT * FROM items_related((SELECT d FROM tr_docs d WHERE account_id = 1 AND id = 4))$$),
    ($$SELECT * FROM tags_search('name', target => 'tr_docs', tenant => 1)$$),
    ($$SELECT * FROM tags_related('name-4', target => 'tr_docs', tenant => 1)$$),
    ($$SELECT * FROM tag_add_synonym('nom 4', 'name-4', target => 'tr_docs', tenant => 1)$$),
    ($$SELECT * FROM tag_rename('name-4', 'Nombre 4', target => 'tr_docs', tenant => 1)$$),
    ($$SELECT * FROM tag_merge('name-4', 'name-5', target => 'tr_docs', tenant => 1)$$),
    ($$SELECT * FROM tags_prune(target => 'tr_docs', tenant => 1)$$),
    ($$UPDATE tr_docs SET published_at = published_at + interval '1 day'
       WHERE account_id = 1 AND id = 6$$),
    ($$DELETE FROM tr_docs WHERE account_id = 1 AND id = 7$$);

-- tenant 1 beside 19 others
SELECT pg_temp.fill(1, 20);
ANALYZE;
-- (each call once before it is measured: its plans made)
SELECT count(pg_temp.rows_read(call)) FROM calls;
CREATE TEMP TABLE beside_19 AS
SELECT call, pg_temp.rows_read(call) AS rows_read FROM calls;
-- every call read something of tenant 1
SELECT count(*) AS calls, min(rows_read) > 0 AS each_read_rows FROM beside_19;

-- beside 219 others, each with what tenant 1 has: eleven times the rows
-- in every table
SELECT pg_temp.fill(21, 220);
ANALYZE;
SELECT count(DISTINCT account_id) AS tenants FROM tr_docs;
SELECT count(pg_temp.rows_read(call)) FROM calls;
-- no call reads more
SELECT b.call, b.rows_read AS beside_19, pg_temp.rows_read(b.call) AS beside_219
FROM beside_19 b WHERE pg_temp.rows_read(b.call) > b.rows_read;

DROP TABLE tr_docs CASCADE;
DROP TABLE tenant_tags, tenant_tag_synonyms, tenant_tag_slug_aliases;
