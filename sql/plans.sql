-- Plans stay right as the tables grow: a connection that made its plans
-- while tags was empty, and kept them, reads a few blocks per name once
-- tags is 10 000 times bigger, though no ANALYZE told the planner
-- (autovacuum off), as a fresh connection does (needs pg_stat_statements
-- preloaded, as make test does)

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;
-- (1.2 refuses storage parameters on tags, which pg_dump would lose)
ALTER EVENT TRIGGER tags_guard_builtin_tables DISABLE;
ALTER TABLE tags SET (autovacuum_enabled = off);
ALTER EVENT TRIGGER tags_guard_builtin_tables ENABLE;
CREATE EXTENSION pg_stat_statements;
SET pg_stat_statements.track = 'all';

-- the blocks each statement of a call read, by the start of its text (a
-- function of the database, not of the session: it outlives \c)
CREATE FUNCTION blocks_read(sql text)
RETURNS TABLE (statement text, blocks bigint)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_stat_statements_reset();
    EXECUTE sql;
    RETURN QUERY
    SELECT left(regexp_replace(s.query, '\s+', ' ', 'g'), 60),
           s.shared_blks_hit + s.shared_blks_read
    FROM pg_stat_statements s
    WHERE NOT s.toplevel AND s.query LIKE '%public.%'
    ORDER BY 1;
END
$$;

-- plans made now, with tags empty
SELECT count(*) FROM tags_get_or_create(ARRAY['first 1', 'first 2']);
SELECT count(*) FROM tags_get_or_create(ARRAY['first 3', 'first 4']);

-- tags grows to 20 000, in calls of 100 new names
DO $$
BEGIN
    FOR c IN 1 .. 200 LOOP
        PERFORM count(*) FROM tags_get_or_create(
            ARRAY(SELECT 'grown ' || c || ' ' || i FROM generate_series(1, 100) AS i));
    END LOOP;
END
$$;
SELECT count(*) AS tags, pg_relation_size('tags') / 8192 > 100 AS over_100_blocks,
       reltuples < 0 AS never_analyzed
FROM tags, pg_class WHERE pg_class.oid = 'tags'::regclass GROUP BY reltuples;

-- five existing names: one lookup, an index descent per name (about 15
-- blocks), not a read of every block of tags (over 160 with the plan made
-- while tags was empty)
SELECT statement, blocks <= 30 AS few_blocks
FROM blocks_read($$SELECT count(*) FROM tags_get_or_create(
    ARRAY['grown 1 1', 'grown 50 7', 'grown 100 100', 'grown 150 3', 'grown 200 99'])$$);

-- the same call in a fresh connection reads as many blocks
\c
SET pg_stat_statements.track = 'all';
SELECT statement, blocks <= 30 AS few_blocks
FROM blocks_read($$SELECT count(*) FROM tags_get_or_create(
    ARRAY['grown 1 1', 'grown 50 7', 'grown 100 100', 'grown 150 3', 'grown 200 99'])$$);

-- PostgreSQL's own kept plans on a table that outgrew ours are made anew
-- too: the foreign-key check of an association's tag, planned while a
-- tenant vocabulary was empty (where any index of tenant_tags that leads
-- with the tenant looks as good as its primary key), reads the primary
-- key once the vocabulary has grown, not every tag of the tenant
CREATE TABLE pl_items (account bigint NOT NULL, id bigint NOT NULL,
                       PRIMARY KEY (account, id));
SELECT tags_enable('pl_items', tenant_column => 'account');
ALTER TABLE tenant_tags SET (autovacuum_enabled = off);
INSERT INTO pl_items SELECT 1, i FROM generate_series(1, 20) AS i;
-- ten checks, the plan cache's generic plan among them, made now
DO $$
BEGIN
    FOR i IN 1 .. 10 LOOP
        PERFORM count(*) FROM item_set_tags('pl_items', i, ARRAY['first ' || i], tenant => 1);
    END LOOP;
END
$$;
-- the tenant's vocabulary grows to 20 000 tags, while pl_items gets an item
-- and is analyzed after every call, as autovacuum analyzes a busy table:
-- each ANALYZE has the extension read its targets again and prepare their
-- statements anew, which must not hide from the check how much the
-- vocabulary has grown since it was planned
DO $$
BEGIN
    FOR c IN 1 .. 200 LOOP
        PERFORM count(*) FROM tags_get_or_create(
            ARRAY(SELECT 'grown ' || c || ' ' || i FROM generate_series(1, 100) AS i),
            target => 'pl_items', tenant => 1);
        INSERT INTO pl_items VALUES (2, c);
        ANALYZE pl_items;
    END LOOP;
END
$$;
SELECT count(*) AS tenant_tags, reltuples < 0 AS never_analyzed
FROM tenant_tags, pg_class WHERE pg_class.oid = 'tenant_tags'::regclass GROUP BY reltuples;
-- five new associations: five checks of a few blocks each (with the plan
-- made while the vocabulary was empty, more than 30: each reads the
-- tenant's 20 000 entries of the index of slugs)
-- (the check's text, as pg_stat_statements keeps it, may have its
-- constant 1 or a parameter in its place)
CREATE FUNCTION fk_blocks_read(sql text)
RETURNS TABLE (calls bigint, blocks bigint)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_stat_statements_reset();
    EXECUTE sql;
    RETURN QUERY
    SELECT s.calls, s.shared_blks_hit + s.shared_blks_read
    FROM pg_stat_statements s
    WHERE s.query LIKE 'SELECT % FROM ONLY "public"."tenant_tags" x WHERE%FOR KEY SHARE OF x';
END
$$;
SELECT calls AS checks, blocks <= 30 AS few_blocks
FROM fk_blocks_read($$SELECT count(*) FROM item_set_tags('pl_items', 11,
    ARRAY['grown 1 1', 'grown 50 7', 'grown 100 100', 'grown 150 3', 'grown 200 99'],
    tenant => 1)$$);
DROP FUNCTION fk_blocks_read(text);
DROP TABLE pl_items CASCADE;
DROP TABLE tenant_tags, tenant_tag_synonyms, tenant_tag_slug_aliases;

DROP FUNCTION blocks_read(text);
DROP EXTENSION pg_stat_statements;
ALTER TABLE tags RESET (autovacuum_enabled);
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;
