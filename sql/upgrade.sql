-- 1.0, 1.1 and 1.2, with data (1.2 with targets), updated to the default
-- version (1.3): the objects equal a fresh install's, and the data is
-- intact

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;
SET client_min_messages = warning;

-- the extension's objects, each with its definition, one text per line
CREATE FUNCTION pg_temp.objects() RETURNS SETOF text
LANGUAGE sql AS $$
    SELECT pg_describe_object(d.classid, d.objid, 0)
           || coalesce(' = ' || CASE d.classid
                  WHEN 'pg_proc'::regclass THEN pg_get_functiondef(d.objid)
                  WHEN 'pg_class'::regclass THEN (
                      SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                        || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                                        || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), ''),
                                        ', ' ORDER BY a.attnum)
                      FROM pg_attribute a
                      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                      WHERE a.attrelid = d.objid AND a.attnum > 0 AND NOT a.attisdropped)
                  END, '')
           || coalesce(' -- ' || obj_description(d.objid, d.classid::regclass::name), '')
    FROM pg_depend d
    WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
      AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'tags')
    UNION ALL
    SELECT conrelid::regclass || ' ' || conname || ' = ' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE conrelid IN ('posts'::regclass, 'tags'::regclass, 'post_tags'::regclass,
                                          'tag_post_counts'::regclass, 'tag_synonyms'::regclass,
                                          'tag_slug_aliases'::regclass, to_regclass('tag_targets'))
    UNION ALL
    SELECT pg_get_indexdef(indexrelid) FROM pg_index
    WHERE indrelid IN ('posts'::regclass, 'tags'::regclass, 'post_tags'::regclass,
                       'tag_post_counts'::regclass, 'tag_post_count_deltas'::regclass,
                       'tag_synonyms'::regclass, 'tag_slug_aliases'::regclass,
                       to_regclass('tag_targets'))
    UNION ALL
    SELECT pg_get_triggerdef(oid) FROM pg_trigger
    WHERE NOT tgisinternal AND tgrelid IN ('posts'::regclass, 'tags'::regclass, 'post_tags'::regclass)
    UNION ALL
    SELECT 'reloptions ' || relname || ' ' || array_to_string(reloptions, ',')
    FROM pg_class WHERE relnamespace = 'public'::regnamespace AND reloptions IS NOT NULL
    UNION ALL
    SELECT 'replica identity ' || relname || ' ' || relreplident::text
    FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
    UNION ALL
    SELECT 'acl ' || c.relname || ' ' || coalesce(array_to_string(c.relacl, ','), 'default')
    FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
    UNION ALL
    SELECT 'acl ' || p.oid::regprocedure || ' ' || coalesce(array_to_string(p.proacl, ','), 'default')
    FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
    UNION ALL
    SELECT 'dumped ' || c::regclass || coalesce(' ' || f, '')
    FROM pg_extension, unnest(extconfig, extcondition) AS u(c, f) WHERE extname = 'tags'
    UNION ALL
    SELECT 'event trigger ' || evtname || ' ON ' || evtevent || ' ' || evtfoid::regproc
    FROM pg_event_trigger
    UNION ALL
    SELECT 'registered ' || target || ' ' || association || ' ' || counts || ' ' || count_deltas
           || ' ' || coalesce(visible, '-') || ' ' || sort_column || ' ' || builtin
    FROM tag_targets
$$;

-- every row of the tables and the counts, one text per row
CREATE FUNCTION pg_temp.data() RETURNS TABLE (what text, line text)
LANGUAGE sql AS $$
SELECT 'posts' AS what, row(p.*)::text AS line FROM posts p
UNION ALL SELECT 'tags', row(t.*)::text FROM tags t
UNION ALL SELECT 'post_tags', row(pt.*)::text FROM post_tags pt
UNION ALL SELECT 'tag_counts', row(c.*)::text FROM tag_counts() c
UNION ALL SELECT 'tag_post_counts', tag_id || '=' || post_count FROM tag_post_counts
UNION ALL SELECT 'pending', tag_id || '=' || sum(delta) FROM tag_post_count_deltas GROUP BY tag_id
$$;

-- a fresh install of the default version
DROP EXTENSION tags CASCADE;
CREATE EXTENSION tags;
SELECT extversion FROM pg_extension WHERE extname = 'tags';
CREATE TEMP TABLE fresh AS SELECT * FROM pg_temp.objects() AS o(line);

-- 1.0, and data written through it
DROP EXTENSION tags CASCADE;
CREATE EXTENSION tags VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'tags';
INSERT INTO posts (title, status) VALUES ('One', 'published'), ('Two', 'published'), ('Three', 'draft');
SELECT count(*) FROM post_set_tags(1, ARRAY['Python', 'PostgreSQL']);
SELECT count(*) FROM post_set_tags(2, ARRAY['Python', 'Rust']);
SELECT count(*) FROM post_set_tags(3, ARRAY['Python']);
INSERT INTO post_tags (post_id, tag_id) SELECT 2, id FROM tags WHERE name = 'postgresql';
-- 1.0's functions work on a schema at 1.0, which has no registry of
-- targets and no synonyms: posts is the one target there (the add and the
-- remove leave post 3 as it was)
SELECT name FROM post_add_tags(3, ARRAY['Rust']);
SELECT name FROM post_remove_tags(3, ARRAY['rust', 'no such tag']);
SELECT name FROM post_get_tags(2);
SELECT name, post_count FROM tag_counts(2);
SELECT title FROM posts_by_tag('python');
SELECT title FROM posts_by_tag_after('python', now() + interval '1 day', 1, 1);
SELECT tag_post_count('python') AS python;
SELECT * FROM post_get_tags(99);
\echo :LAST_ERROR_SQLSTATE
CREATE TEMP TABLE before AS SELECT * FROM pg_temp.data();
SELECT count(*) FROM before;

-- the update
ALTER EXTENSION tags UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'tags';

-- the same objects as a fresh install, line for line
SELECT 'only after the update' AS missing, line FROM pg_temp.objects() AS o(line)
EXCEPT ALL SELECT 'only after the update', line FROM fresh
UNION ALL
(SELECT 'only in a fresh install', line FROM fresh
 EXCEPT ALL SELECT 'only in a fresh install', line FROM pg_temp.objects() AS o(line));
SELECT count(*) > 40 AS many_objects_compared FROM fresh;

-- the data as it was
CREATE TEMP TABLE after AS SELECT * FROM pg_temp.data();
(SELECT * FROM before EXCEPT ALL SELECT * FROM after)
UNION ALL
(SELECT * FROM after EXCEPT ALL SELECT * FROM before);

-- and 1.1's functions work on it
SELECT name FROM tags_search('p');
SELECT name FROM post_set_tags(3, ARRAY['Rust', 'Python']);
SELECT name, post_count FROM tag_counts();
SELECT tag_merge('rust', 'python') AS moved;
SELECT name, post_count FROM tag_counts();
SELECT name FROM post_set_tags(2, ARRAY['Rust']);

-- 1.1, and data written through it, updated to 1.2
DROP EXTENSION tags CASCADE;
CREATE EXTENSION tags VERSION '1.1';
SELECT extversion FROM pg_extension WHERE extname = 'tags';
INSERT INTO posts (title, status) VALUES ('One', 'published'), ('Two', 'published'), ('Three', 'draft');
SELECT count(*) FROM post_set_tags(1, ARRAY['Python', 'PostgreSQL']);
SELECT count(*) FROM post_set_tags(2, ARRAY['Python', 'Rust', 'Go']);
SELECT count(*) FROM post_set_tags(3, ARRAY['Python']);
SELECT name FROM tag_add_synonym('py', 'python');
SELECT tag_merge('go', 'rust');
DROP TABLE before;
CREATE TEMP TABLE before AS SELECT * FROM pg_temp.data();
SELECT count(*) FROM before;
ALTER EXTENSION tags UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'tags';

-- the same objects as a fresh install, line for line
SELECT 'only after the update' AS missing, line FROM pg_temp.objects() AS o(line)
EXCEPT ALL SELECT 'only after the update', line FROM fresh
UNION ALL
(SELECT 'only in a fresh install', line FROM fresh
 EXCEPT ALL SELECT 'only in a fresh install', line FROM pg_temp.objects() AS o(line));

-- the data as it was
DROP TABLE after;
CREATE TEMP TABLE after AS SELECT * FROM pg_temp.data();
(SELECT * FROM before EXCEPT ALL SELECT * FROM after)
UNION ALL
(SELECT * FROM after EXCEPT ALL SELECT * FROM before);

-- posts is a target like any other, and 1.2's functions work on it
SELECT name FROM item_set_tags('posts', 3, ARRAY['Rust', 'py']);
SELECT name, item_count FROM tag_item_counts('posts');
SELECT title FROM items_by_tag(NULL::posts, 'python');

-- 1.2 with targets and data, updated to 1.3
DROP EXTENSION tags CASCADE;
CREATE EXTENSION tags VERSION '1.2';
SELECT extversion FROM pg_extension WHERE extname = 'tags';
INSERT INTO posts (title, status) VALUES ('One', 'published'), ('Two', 'published');
SELECT count(*) FROM post_set_tags(1, ARRAY['Python', 'PostgreSQL']);
CREATE TABLE up_articles (id bigint PRIMARY KEY, status text NOT NULL,
                          published_at timestamptz NOT NULL);
SELECT tags_enable('up_articles', 'status = ''published''', 'published_at');
CREATE TABLE up_words (word text PRIMARY KEY);
SELECT tags_enable('up_words');
INSERT INTO up_articles VALUES (1, 'published', '2026-01-01'), (2, 'draft', '2026-02-01'),
                               (3, 'published', '2026-03-01');
INSERT INTO up_words VALUES ('alpha'), ('beta');
CREATE TABLE up_prices (id bigint PRIMARY KEY, price numeric(10, 2) NOT NULL);
SELECT tags_enable('up_prices', sort_column => 'price');
INSERT INTO up_prices VALUES (1, 99999999.99);
SELECT count(*) FROM item_set_tags('up_prices', 1, ARRAY['Dear']);
SELECT count(*) FROM item_set_tags('up_articles', 1, ARRAY['Python', 'Go']);
SELECT count(*) FROM item_set_tags('up_articles', 2, ARRAY['Go']);
SELECT count(*) FROM item_set_tags('up_articles', 3, ARRAY['Rust', 'Python']);
SELECT count(*) FROM item_set_tags('up_words', 'alpha', ARRAY['Greek']);
SELECT name FROM tag_add_synonym('golang', 'go');
SELECT tag_merge('rust', 'python');
-- the targets' rows, and their counts, beside the built-in data
CREATE FUNCTION pg_temp.target_data() RETURNS TABLE (what text, line text)
LANGUAGE sql AS $$
SELECT 'targets', target || ' ' || association || ' ' || counts || ' ' || count_deltas
       || ' ' || coalesce(visible, '-') || ' ' || sort_column FROM tag_targets
UNION ALL SELECT 'up_articles_tags', row(a.*)::text FROM up_articles_tags a
UNION ALL SELECT 'up_words_tags', row(a.*)::text FROM up_words_tags a
UNION ALL SELECT 'up_articles counts', row(c.*)::text FROM tag_item_counts('up_articles') c
UNION ALL SELECT 'up_words counts', row(c.*)::text FROM tag_item_counts('up_words') c
UNION ALL SELECT 'synonyms', row(s.*)::text FROM tag_synonyms s
UNION ALL SELECT 'aliases', row(a.*)::text FROM tag_slug_aliases a
$$;
DROP TABLE before;
CREATE TEMP TABLE before AS
SELECT * FROM pg_temp.data() UNION ALL SELECT * FROM pg_temp.target_data();
SELECT count(*) FROM before;
ALTER EXTENSION tags UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'tags';

-- the same objects as a fresh install, line for line, but for the
-- targets' own tables (up_*) and their registrations
SELECT 'only after the update' AS missing, line FROM pg_temp.objects() AS o(line)
WHERE line !~ '\mup_'
EXCEPT ALL SELECT 'only after the update', line FROM fresh
UNION ALL
(SELECT 'only in a fresh install', line FROM fresh
 EXCEPT ALL SELECT 'only in a fresh install', line FROM pg_temp.objects() AS o(line));

-- the data as it was, the targets' too
DROP TABLE after;
CREATE TEMP TABLE after AS
SELECT * FROM pg_temp.data() UNION ALL SELECT * FROM pg_temp.target_data();
(SELECT * FROM before EXCEPT ALL SELECT * FROM after)
UNION ALL
(SELECT * FROM after EXCEPT ALL SELECT * FROM before);

-- the deltas of the targets of 1.2 have REPLICA IDENTITY FULL, as 1.3
-- makes them (a publication of them identifies the rows a fold deletes
-- by all their columns)
SELECT t.target, c.relreplident FROM tag_targets t
JOIN pg_class c ON c.oid = t.count_deltas ORDER BY t.target::text;

-- the targets of 1.2 take 1.3's arguments: a context, added now; and a
-- tenant target beside them
SELECT tags_add_context('up_articles', 'topics');
SELECT name FROM item_set_tags('up_articles', 3, ARRAY['Databases'], context => 'topics');
SELECT name FROM item_get_tags('up_articles', 3);
SELECT name, item_count FROM tag_item_counts('up_articles', context => 'topics');
SELECT name FROM item_add_tags('up_words', 'beta', ARRAY['golang']);
-- 1.2 copied a numeric(p, s) sort column with its modifier; 1.3 lets the
-- column take NULLs, copied as -infinity, which the update made room for
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'up_prices_tags'::regclass AND attname = 'item_sort';
ALTER TABLE up_prices ALTER COLUMN price DROP NOT NULL;
INSERT INTO up_prices VALUES (2, NULL);
SELECT count(*) FROM item_set_tags('up_prices', 2, ARRAY['Dear']);
SELECT id, price FROM items_by_tag(NULL::up_prices, 'dear');
CREATE TABLE up_notes (account_id bigint NOT NULL, id bigint NOT NULL,
                       PRIMARY KEY (account_id, id));
SELECT tags_enable('up_notes', tenant_column => 'account_id');
INSERT INTO up_notes VALUES (1, 1);
SELECT name, slug FROM item_set_tags('up_notes', 1, ARRAY['Python'], tenant => 1);
DROP TABLE up_articles, up_words, up_notes, up_prices CASCADE;
DROP TABLE tenant_tags, tenant_tag_synonyms, tenant_tag_slug_aliases;

-- a 1.1 posts with a column of the user's: the update says that dumps
-- lose it (and the guard of 1.2 would have refused it)
DROP EXTENSION tags CASCADE;
CREATE EXTENSION tags VERSION '1.1';
ALTER TABLE posts ADD COLUMN author_id integer;
ALTER EXTENSION tags UPDATE;
ALTER TABLE posts ADD COLUMN editor_id integer;
\echo :LAST_ERROR_SQLSTATE
DROP EXTENSION tags CASCADE;
CREATE EXTENSION tags;
