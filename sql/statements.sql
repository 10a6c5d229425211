-- The number of SQL statements a call runs does not grow with the number of
-- names, and tag_counts() is one query (needs pg_stat_statements preloaded,
-- as make test does)

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;

CREATE EXTENSION pg_stat_statements;
SET pg_stat_statements.track = 'all';

-- how many statements on the extension's tables a piece of SQL runs; with
-- cascades false, not counting the foreign keys' cascades ("... FROM ONLY
-- ..."), which PostgreSQL runs once per deleted row
CREATE FUNCTION pg_temp.statements_run(sql text, cascades boolean DEFAULT true) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    PERFORM pg_stat_statements_reset();
    EXECUTE sql;
    SELECT coalesce(sum(calls), 0) INTO n
    FROM pg_stat_statements
    WHERE NOT toplevel AND query LIKE '%public.%'
      AND (cascades OR query NOT LIKE '%FROM ONLY%');
    RETURN n;
END
$$;

INSERT INTO posts (title, status) VALUES ('Counted', 'published') RETURNING id AS post \gset
CREATE TEMP TABLE names AS
SELECT n, ARRAY(SELECT 'size ' || n || ' name ' || i FROM generate_series(1, n) AS i) AS names
FROM (VALUES (2), (50)) AS v(n);

-- get-or-create of new names: find them as tags, then as synonyms, look
-- for free slugs, insert
SELECT n AS names,
       pg_temp.statements_run(format('SELECT count(*) FROM tags_get_or_create(%L)', names)) AS statements
FROM names ORDER BY n;
-- of existing names: one statement
SELECT n AS names,
       pg_temp.statements_run(format('SELECT count(*) FROM tags_get_or_create(%L)', names)) AS statements
FROM names ORDER BY n;

-- set a post's tags, all new: lock the post, get-or-create, write the
-- list, insert the count deltas of what it changed (one statement, however
-- many rows); the tags it returns are those it set, not read back (1.2)
SELECT n AS names,
       pg_temp.statements_run(format('SELECT count(*) FROM post_set_tags(%s, %L)',
                                     :post, array(SELECT 'set ' || x FROM unnest(names) x))) AS statements
FROM names ORDER BY n;
-- all existing, in another order, replacing the list of 'set' names
SELECT n AS names,
       pg_temp.statements_run(format('SELECT count(*) FROM post_set_tags(%s, %L)',
                                     :post, array(SELECT x FROM unnest(names) x ORDER BY x DESC))) AS statements
FROM names ORDER BY n;
-- add: reads the current list before the new names, and again, locked,
-- after; the inserted rows add deltas
SELECT count(*) FROM post_set_tags(:post, '{}');
SELECT n AS names,
       pg_temp.statements_run(format('SELECT count(*) FROM post_add_tags(%s, %L)',
                                     :post, array(SELECT 'add ' || x FROM unnest(names) x))) AS statements
FROM names ORDER BY n;
-- remove: lock, delete, add deltas, read
SELECT n AS names,
       pg_temp.statements_run(format('SELECT count(*) FROM post_remove_tags(%s, %L)',
                                     :post, array(SELECT 'add ' || x FROM unnest(names) x))) AS statements
FROM names ORDER BY n;

-- tag_counts(): one query however many tags there are (the seed's N+1 would
-- grow with them)
SELECT count(*) > 100 AS many_tags FROM tags;
SELECT pg_temp.statements_run('SELECT count(*) FROM tag_counts()') AS statements;
SELECT count(*) FROM tags_get_or_create(ARRAY(SELECT 'more ' || i FROM generate_series(1, 500) AS i));
SELECT pg_temp.statements_run('SELECT count(*) FROM tag_counts()') AS statements;

-- the readers
SELECT count(*) FROM post_set_tags(:post, ARRAY['read']);
SELECT pg_temp.statements_run(format('SELECT count(*) FROM post_get_tags(%s)', :post)) AS get_tags,
       pg_temp.statements_run('SELECT count(*) FROM posts_by_tag(''read'')') AS by_tag,
       pg_temp.statements_run('SELECT tag_post_count(''read'')') AS post_count;

-- posts_tagged: two statements for 'all' and 'exact' (the tags least used
-- first, then the page), one for 'any', for 2 names as for 20
SELECT count(*) FROM tags_get_or_create(ARRAY(SELECT 'tagged ' || j FROM generate_series(1, 25) AS j));
SELECT count(*) FROM post_set_tags(:post, ARRAY['tagged 1', 'tagged 2']);
SELECT m AS match, n AS names,
       pg_temp.statements_run(format('SELECT count(*) FROM posts_tagged(%L, %L, ARRAY[''tagged 25''])',
                                     ARRAY(SELECT 'tagged ' || j FROM generate_series(1, n) AS j), m)) AS statements
FROM unnest(ARRAY['all', 'exact', 'any']) AS m, (VALUES (2), (20)) AS v(n)
ORDER BY m, n;

-- tag care: the same number of statements of its own whatever the number of
-- posts or tags (the cascades run once per deleted tag, and are not counted)
INSERT INTO posts (title, status)
SELECT 'care ' || i, 'published' FROM generate_series(1, 50) AS i;
SELECT count(*) FROM posts p, post_set_tags(p.id, CASE WHEN p.id % 25 = 0 THEN ARRAY['few', 'few into'] ELSE ARRAY['many', 'many into'] END)
WHERE p.title LIKE 'care %';
SELECT n AS posts,
       pg_temp.statements_run(format('SELECT tag_merge(%L, %L)', slug, slug || '-into'), false) AS merge
FROM (VALUES (2, 'few'), (48, 'many')) AS v(n, slug) ORDER BY n;
SELECT pg_temp.statements_run('SELECT tag_add_synonym(''synonym'', ''many-into'')', false) AS add_synonym,
       pg_temp.statements_run('SELECT tag_remove_synonym(''synonym'')', false) AS remove_synonym;
SELECT pg_temp.statements_run('SELECT tag_rename(''many-into'', ''many renamed'')', false) AS rename;
SELECT count(*) FROM tags_get_or_create(ARRAY['unused 1', 'unused 2']);
SELECT pg_temp.statements_run('SELECT tags_prune()', false) AS prune_2;
SELECT count(*) FROM tags_get_or_create(ARRAY(SELECT 'unused ' || i FROM generate_series(1, 50) AS i));
SELECT pg_temp.statements_run('SELECT tags_prune()', false) AS prune_50;

-- the kept plans: a name lookup is planned once and kept, and planned
-- anew once tags has more than twice the blocks it had when the plan was
-- made (here after a call that created 1000 tags)
SET pg_stat_statements.track_planning = on;
SELECT count(*) FROM tags_get_or_create(ARRAY['kept a', 'kept b']);
SELECT pg_stat_statements_reset() IS NOT NULL AS reset;
SELECT count(*) FROM tags_get_or_create(ARRAY['kept a', 'kept b']);
SELECT count(*) FROM tags_get_or_create(ARRAY['kept a', 'kept b']);
SELECT sum(plans) AS plans, sum(calls) AS calls FROM pg_stat_statements
WHERE NOT toplevel AND query LIKE 'SELECT n.name AS asked, t.* FROM pg_catalog.unnest($1) AS n(name) CROSS JOIN LATERAL (SELECT t.* FROM public.tags t%';
SELECT count(*) FROM tags_get_or_create(ARRAY(SELECT 'bulk ' || i FROM generate_series(1, 1000) AS i));
SELECT count(*) FROM tags_get_or_create(ARRAY['kept a', 'kept b']);
SELECT sum(plans) > 0 AS planned_anew, sum(calls) AS calls FROM pg_stat_statements
WHERE NOT toplevel AND query LIKE 'SELECT n.name AS asked, t.* FROM pg_catalog.unnest($1) AS n(name) CROSS JOIN LATERAL (SELECT t.* FROM public.tags t%';
RESET pg_stat_statements.track_planning;
