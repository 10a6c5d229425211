-- Targets (1.2): the item_* writers and readers on targets with a bigint,
-- a uuid and a text key; the overloads an item resolves to; the counts
-- always equal to what plain SQL counts from the target and its
-- association table, and the copies of each item's visibility and sort
-- value always equal to the item's, whoever writes; posts through the item
-- functions answers as through the post functions.

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;
-- (the errors' context is the statement text: keep it out)
\set SHOW_CONTEXT never

-- a bigint key, a visibility predicate and a sort column
CREATE TABLE ti_arts (
    id              bigint PRIMARY KEY,
    title           text NOT NULL,
    status          text NOT NULL DEFAULT 'published',
    deleted_at      timestamptz,
    published_at    timestamptz NOT NULL
);
SELECT tags_enable('ti_arts', 'status = ''published'' AND deleted_at IS NULL',
                   'published_at');
-- a uuid key: every row visible, sorted by the key
CREATE TABLE ti_memos (id uuid PRIMARY KEY, body text);
SELECT tags_enable('ti_memos');
-- a text key, sorted by an integer
CREATE TABLE ti_words (word text PRIMARY KEY, n integer NOT NULL DEFAULT 0);
SELECT tags_enable('ti_words', NULL, 'n');
-- a table that is no target
CREATE TABLE ti_plain (id bigint PRIMARY KEY);

INSERT INTO ti_arts (id, title, status, deleted_at, published_at) VALUES
    (1, 'one',   'published', NULL, '2026-01-01 00:00+00'),
    (2, 'two',   'published', NULL, '2026-02-01 00:00+00'),
    (3, 'three', 'published', NULL, '2026-02-01 00:00+00'),
    (4, 'four',  'draft',     NULL, '2026-03-01 00:00+00'),
    (5, 'five',  'published', '2026-05-05 00:00+00', '2026-04-01 00:00+00'),
    (6, 'six',   'published', NULL, '2026-05-01 00:00+00'),
    (7, 'seven', 'archived',  NULL, '2026-06-01 00:00+00'),
    (8, 'eight', 'published', NULL, '2026-07-01 00:00+00');
INSERT INTO ti_memos (id, body) VALUES
    ('00000000-0000-0000-0000-000000000001', 'm1'),
    ('00000000-0000-0000-0000-000000000002', 'm2'),
    ('00000000-0000-0000-0000-000000000003', 'm3');
INSERT INTO ti_words (word, n) VALUES ('alpha', 1), ('beta', 2), ('gamma', 3),
    ('42', 4);

-- For each target, the differences between what the functions count and
-- what plain SQL counts (tag_item_counts rows missing from either side,
-- tags whose tag_item_count is another), and the associations whose copy of
-- the item's visibility or sort value is not the item's: 0 everywhere
CREATE FUNCTION pg_temp.check() RETURNS TABLE (target text, counts_differ bigint,
    count_differs bigint, stale_copies bigint)
LANGUAGE sql AS $$
    WITH arts AS (
        SELECT t.id, t.name::text, t.slug::text,
               count(a.item_id) FILTER (WHERE r.status = 'published'
                                          AND r.deleted_at IS NULL) AS n
        FROM tags t
        LEFT JOIN ti_arts_tags a ON a.tag_id = t.id
        LEFT JOIN ti_arts r ON r.id = a.item_id
        GROUP BY t.id
    ), memos AS (
        SELECT t.id, t.name::text, t.slug::text, count(r.id) AS n
        FROM tags t
        LEFT JOIN ti_memos_tags a ON a.tag_id = t.id
        LEFT JOIN ti_memos r ON r.id = a.item_id
        GROUP BY t.id
    ), words AS (
        SELECT t.id, t.name::text, t.slug::text, count(r.word) AS n
        FROM tags t
        LEFT JOIN ti_words_tags a ON a.tag_id = t.id
        LEFT JOIN ti_words r ON r.word = a.item_id
        GROUP BY t.id
    )
    SELECT 'ti_arts',
        (SELECT count(*) FROM (
            (SELECT * FROM tag_item_counts('ti_arts') EXCEPT SELECT * FROM arts)
            UNION ALL
            (SELECT * FROM arts EXCEPT SELECT * FROM tag_item_counts('ti_arts'))) d),
        (SELECT count(*) FROM arts o WHERE tag_item_count('ti_arts', o.slug) <> o.n),
        (SELECT count(*) FROM ti_arts_tags a JOIN ti_arts r ON r.id = a.item_id
         WHERE a.item_visible <> (r.status = 'published' AND r.deleted_at IS NULL)
            OR a.item_sort <> r.published_at)
    UNION ALL
    SELECT 'ti_memos',
        (SELECT count(*) FROM (
            (SELECT * FROM tag_item_counts('ti_memos') EXCEPT SELECT * FROM memos)
            UNION ALL
            (SELECT * FROM memos EXCEPT SELECT * FROM tag_item_counts('ti_memos'))) d),
        (SELECT count(*) FROM memos o WHERE tag_item_count('ti_memos', o.slug) <> o.n),
        (SELECT count(*) FROM ti_memos_tags a JOIN ti_memos r ON r.id = a.item_id
         WHERE NOT a.item_visible OR a.item_sort <> r.id)
    UNION ALL
    SELECT 'ti_words',
        (SELECT count(*) FROM (
            (SELECT * FROM tag_item_counts('ti_words') EXCEPT SELECT * FROM words)
            UNION ALL
            (SELECT * FROM words EXCEPT SELECT * FROM tag_item_counts('ti_words'))) d),
        (SELECT count(*) FROM words o WHERE tag_item_count('ti_words', o.slug) <> o.n),
        (SELECT count(*) FROM ti_words_tags a JOIN ti_words r ON r.word = a.item_id
         WHERE NOT a.item_visible OR a.item_sort <> r.n)
$$;

-- an item's tags of ti_arts, as one line
CREATE FUNCTION pg_temp.arts_tags(item bigint) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(slug, ' ' ORDER BY ord), '(none)')
    FROM item_get_tags('ti_arts', item) WITH ORDINALITY AS g(id, name, slug, created_at, ord)
$$;

--
-- Writers
--

-- names are normalized, two spellings of one name are one tag at its first
-- place, NULL elements are skipped; the order given is kept
SELECT name, slug FROM item_set_tags('ti_arts', 1, ARRAY['Python', ' python ', 'SQL', NULL, 'Rust']);
SELECT name FROM item_get_tags('ti_arts', 1);
SELECT t.slug, a.position, a.item_visible, a.item_sort
FROM ti_arts_tags a JOIN tags t ON t.id = a.tag_id WHERE a.item_id = 1
ORDER BY a.position;
-- a new order, the same tags
SELECT name FROM item_set_tags('ti_arts', 1, ARRAY['rust', 'sql', 'python']);
-- NULL names: the list is kept, and returned
SELECT name FROM item_set_tags('ti_arts', 1, NULL);
-- add: only the new ones, at the end
SELECT name FROM item_add_tags('ti_arts', 1, ARRAY['Go', 'PYTHON', 'go']);
SELECT name FROM item_add_tags('ti_arts', 1, ARRAY['sql']);
SELECT name FROM item_add_tags('ti_arts', 1, NULL);
-- remove: only the associations; a name nobody has is no error
SELECT name FROM item_remove_tags('ti_arts', 1, ARRAY['SQL', 'never heard of']);
SELECT name FROM item_remove_tags('ti_arts', 1, NULL);
SELECT name FROM tags ORDER BY name;
-- '{}' clears the list
SELECT count(*) FROM item_set_tags('ti_arts', 1, '{}');
SELECT pg_temp.arts_tags(1);

-- the uuid target and the text target
SELECT name FROM item_set_tags('ti_memos', '00000000-0000-0000-0000-000000000001'::uuid, ARRAY['Python', 'Notes']);
SELECT name FROM item_add_tags('ti_memos', '00000000-0000-0000-0000-000000000001', ARRAY['python', 'todo']);
SELECT name FROM item_remove_tags('ti_memos', '00000000-0000-0000-0000-000000000001'::uuid, ARRAY['notes']);
SELECT name FROM item_get_tags('ti_memos', '00000000-0000-0000-0000-000000000001'::uuid);
SELECT name FROM item_set_tags('ti_words', 'alpha', ARRAY['Greek', 'letter']);
SELECT name FROM item_add_tags('ti_words', 'alpha'::text, ARRAY['first']);
SELECT name FROM item_remove_tags('ti_words', 'alpha', ARRAY['letter']);
SELECT name FROM item_get_tags('ti_words', 'alpha');
SELECT * FROM pg_temp.check();

-- tags.max_tags_per_post is the limit of every target (54000), counting
-- tags, not names
SET tags.max_tags_per_post = 3;
SELECT name FROM item_set_tags('ti_arts', 2, ARRAY['a', 'b', 'c', 'd']);
\echo :LAST_ERROR_SQLSTATE
SELECT name FROM item_set_tags('ti_arts', 2, ARRAY['a', 'b', 'c', 'A', ' b']);
SELECT name FROM item_add_tags('ti_arts', 2, ARRAY['d']);
\echo :LAST_ERROR_SQLSTATE
SELECT name FROM item_add_tags('ti_arts', 2, ARRAY['c', 'B']);
SELECT name FROM item_set_tags('ti_memos', '00000000-0000-0000-0000-000000000002', ARRAY['w', 'x', 'y', 'z']);
\echo :LAST_ERROR_SQLSTATE
-- the failed calls wrote nothing, not even the new tag "d"
SELECT pg_temp.arts_tags(2);
SELECT count(*) AS d_tags FROM tags WHERE name IN ('d', 'w', 'z');
RESET tags.max_tags_per_post;

-- an item that does not exist (P0002), for every writer and reader
SELECT * FROM item_set_tags('ti_arts', 999, ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM item_add_tags('ti_arts', 999, ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM item_remove_tags('ti_arts', 999, ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM item_get_tags('ti_arts', 999);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM item_get_tags('ti_memos', '00000000-0000-0000-0000-0000000000ff'::uuid);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM item_set_tags('ti_words', 'omega', ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
-- an item that is no value of the key's type (22P02)
SELECT * FROM item_set_tags('ti_arts', 'abc', ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM item_get_tags('ti_arts', '1.5');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM item_set_tags('ti_memos', 'x', ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM item_set_tags('ti_memos', 42, ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
-- out of the key type's range (22003)
SELECT * FROM item_set_tags('ti_arts', '99999999999999999999', ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
-- a table that is no target (22023)
SELECT * FROM item_set_tags('ti_plain', 1, ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM item_get_tags('tags', 1);
\echo :LAST_ERROR_SQLSTATE
-- NULL (22004)
SELECT * FROM item_set_tags('ti_arts', NULL, ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM item_add_tags('ti_arts', NULL::bigint, ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM item_get_tags('ti_memos', NULL::uuid);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM item_set_tags(NULL, 1, ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
-- none of them wrote anything
SELECT name FROM tags WHERE name = 'x';

--
-- Which overload an item resolves to
--

-- an integer literal is bigint, an untyped literal text, a typed value its
-- type; each reaches the same item
-- (no query identifier in the plans, whatever the server's settings)
SET compute_query_id = off;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM item_get_tags('ti_arts', 42);
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM item_get_tags('ti_arts', '42');
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM item_get_tags('ti_arts', 42::bigint);
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM item_get_tags('ti_memos', '00000000-0000-0000-0000-000000000001'::uuid);
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM item_get_tags('ti_words', 'alpha'::text);
RESET compute_query_id;
SELECT name FROM item_set_tags('ti_arts', 3, ARRAY['literal']);
SELECT name FROM item_get_tags('ti_arts', 3);
SELECT name FROM item_get_tags('ti_arts', '3');
SELECT name FROM item_get_tags('ti_arts', 3::bigint);
SELECT name FROM item_get_tags('ti_arts', 3::smallint);
SELECT name FROM item_get_tags('ti_arts', '3'::varchar);
-- an integer on a text key: its text form names the item
SELECT name FROM item_set_tags('ti_words', 42, ARRAY['number']);
SELECT name FROM item_get_tags('ti_words', '42');
-- a text on a uuid key
SELECT name FROM item_get_tags('ti_memos', '00000000-0000-0000-0000-000000000001');

-- a prepared statement's untyped parameter is text, and converted
PREPARE p AS SELECT name FROM item_set_tags('ti_arts', $1, $2);
SELECT parameter_types FROM pg_prepared_statements WHERE name = 'p';
EXECUTE p('5', ARRAY['prepared']);
EXECUTE p('6', ARRAY['prepared', 'twice']);
EXECUTE p('abc', ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
DEALLOCATE p;
-- typed parameters: bigint and uuid
PREPARE pb(bigint, text[]) AS SELECT name FROM item_add_tags('ti_arts', $1, $2);
EXECUTE pb(6, ARRAY['typed']);
PREPARE pu(uuid) AS SELECT name FROM item_get_tags('ti_memos', $1);
EXECUTE pu('00000000-0000-0000-0000-000000000001');
DEALLOCATE pb;
DEALLOCATE pu;
SELECT * FROM pg_temp.check();

--
-- Readers
--

-- start again: python on 1, 2, 3 (2 and 3 published at the same time),
-- 4 (draft), 5 (deleted), 6, 7 (archived); sql on some; 8 has none
SELECT r.id, pg_temp.arts_tags(r.id) FROM ti_arts r,
    LATERAL item_set_tags('ti_arts', r.id, CASE r.id
        WHEN 1 THEN ARRAY['Python', 'SQL']
        WHEN 2 THEN ARRAY['Python', 'Rust']
        WHEN 3 THEN ARRAY['python', 'sql', 'rust']
        WHEN 4 THEN ARRAY['python', 'sql']
        WHEN 5 THEN ARRAY['python', 'sql']
        WHEN 6 THEN ARRAY['python']
        WHEN 7 THEN ARRAY['python', 'rust']
        ELSE '{}'::text[] END) AS s
GROUP BY r.id ORDER BY r.id;
SELECT * FROM pg_temp.check();

-- a tag's visible items, newest first by published_at, ties by key
SELECT id, title, published_at FROM items_by_tag(NULL::ti_arts, 'python');
-- pages of two
SELECT id FROM items_by_tag(NULL::ti_arts, 'python', 1, 2);
SELECT id FROM items_by_tag(NULL::ti_arts, 'python', 2, 2);
SELECT id FROM items_by_tag(NULL::ti_arts, 'python', 3, 2);
-- a tag of hidden items only, a tag on no item
SELECT id FROM items_by_tag(NULL::ti_arts, 'literal');
SELECT count(*) FROM tags_get_or_create(ARRAY['unused']);
SELECT id FROM items_by_tag(NULL::ti_arts, 'unused');
-- the same on the other targets
SELECT id FROM items_by_tag(NULL::ti_memos, 'python');
SELECT word, n FROM items_by_tag(NULL::ti_words, 'greek');
-- errors: page and page size (22023), NULL (22004), a slug that is no
-- tag's (P0002), a row of a table that is no target (22023), a value that
-- is no row (22023)
SELECT * FROM items_by_tag(NULL::integer, 'python');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM items_by_tag_after(NULL::integer, 'python', NULL::integer);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM items_tagged(NULL::integer, ARRAY['python']);
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM items_by_tag(NULL::ti_arts, 'python', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM items_by_tag(NULL::ti_arts, 'python', 1, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM items_by_tag(NULL::ti_arts, 'python', 1, 101);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM items_by_tag(NULL::ti_arts, 'python', 1, 100);
SELECT id FROM items_by_tag(NULL::ti_arts, 'python', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM items_by_tag(NULL::ti_arts, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM items_by_tag(NULL::ti_arts, 'no-such-tag');
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM items_by_tag(NULL::ti_plain, 'python');
\echo :LAST_ERROR_SQLSTATE

-- keyset pages: NULL after is the first page, then after its last row;
-- the row need not exist any more
SELECT id FROM items_by_tag_after(NULL::ti_arts, 'python', NULL, 2);
SELECT id FROM items_by_tag_after(NULL::ti_arts, 'python', (SELECT r FROM ti_arts r WHERE id = 3), 2);
SELECT id FROM items_by_tag_after(NULL::ti_arts, 'python', (SELECT r FROM ti_arts r WHERE id = 2), 2);
SELECT id FROM items_by_tag_after(NULL::ti_arts, 'python',
    ROW(99, 'gone', 'published', NULL, '2026-02-01 00:00+00')::ti_arts, 10);
SELECT id FROM items_by_tag_after(NULL::ti_memos, 'python',
    ROW('00000000-0000-0000-0000-000000000002', NULL)::ti_memos, 10);
SELECT id FROM items_by_tag_after(NULL::ti_arts, 'python', NULL, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM items_by_tag_after(NULL::ti_arts, 'python',
    ROW(NULL, 'no key', 'published', NULL, '2026-02-01 00:00+00')::ti_arts, 10);
\echo :LAST_ERROR_SQLSTATE

-- items that have all, any or exactly the tags, and none of exclude
SELECT id FROM items_tagged(NULL::ti_arts, ARRAY['python', 'sql']);
SELECT id FROM items_tagged(NULL::ti_arts, ARRAY['SQL', 'Python'], 'all');
SELECT id FROM items_tagged(NULL::ti_arts, ARRAY['sql', 'rust'], 'any');
SELECT id FROM items_tagged(NULL::ti_arts, ARRAY['python', 'sql'], 'exact');
SELECT id FROM items_tagged(NULL::ti_arts, ARRAY['python'], 'all', ARRAY['rust']);
SELECT id FROM items_tagged(NULL::ti_arts, ARRAY['python', 'rust'], 'any', ARRAY['sql']);
SELECT id FROM items_tagged(NULL::ti_arts, ARRAY['python'], 'all', NULL, 2, 2);
-- a name that is no tag: no item has all of them, any is the rest
SELECT id FROM items_tagged(NULL::ti_arts, ARRAY['python', 'no such tag']);
SELECT id FROM items_tagged(NULL::ti_arts, ARRAY['rust', 'no such tag'], 'any');
SELECT id FROM items_tagged(NULL::ti_arts, ARRAY['python'], 'all', ARRAY['no such tag']);
SELECT id FROM items_tagged(NULL::ti_arts, '{}');
SELECT id FROM items_tagged(NULL::ti_memos, ARRAY['python', 'todo']);
SELECT id FROM items_tagged(NULL::ti_arts, ARRAY['python'], 'some');
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM items_tagged(NULL::ti_arts, NULL);
\echo :LAST_ERROR_SQLSTATE

-- related items: the visible ones sharing the most tags, newest first
-- among equals
SELECT (r.item).id, r.shared_tags FROM items_related((SELECT a FROM ti_arts a WHERE id = 3)) r;
SELECT (r.item).id, r.shared_tags FROM items_related((SELECT a FROM ti_arts a WHERE id = 3), 1) r;
SELECT (r.item).id, r.shared_tags FROM items_related((SELECT a FROM ti_arts a WHERE id = 8)) r;
SELECT (r.item).id FROM items_related((SELECT a FROM ti_arts a WHERE id = 3), 0) r;
\echo :LAST_ERROR_SQLSTATE

-- counts: every tag, most used first, then by name; the top ones
SELECT name, slug, item_count FROM tag_item_counts('ti_arts');
SELECT name, item_count FROM tag_item_counts('ti_arts', 2);
SELECT name, item_count FROM tag_item_counts('ti_arts', 0);
SELECT name, item_count FROM tag_item_counts('ti_arts', -1);
\echo :LAST_ERROR_SQLSTATE
SELECT tag_item_count('ti_arts', 'python'), tag_item_count('ti_arts', 'rust'),
       tag_item_count('ti_arts', 'unused');
SELECT tag_item_count('ti_arts', 'no-such-tag');
\echo :LAST_ERROR_SQLSTATE
SELECT name, item_count FROM tag_item_counts('ti_plain');
\echo :LAST_ERROR_SQLSTATE
-- the top n are the first n of the whole list, for every n
SELECT count(*) AS tops_differ FROM generate_series(1, 12) AS n
WHERE ARRAY(SELECT slug FROM tag_item_counts('ti_arts', n))
   <> ARRAY(SELECT slug FROM tag_item_counts('ti_arts') LIMIT n);
SELECT * FROM pg_temp.check();

--
-- The counts and the copies follow every change, whoever makes it
--

-- new rows, tagged
INSERT INTO ti_arts (id, title, status, published_at) VALUES
    (9, 'nine', 'published', '2026-08-01 00:00+00'),
    (10, 'ten', 'draft', '2026-08-02 00:00+00');
SELECT count(*) FROM item_set_tags('ti_arts', 9, ARRAY['python', 'new']);
SELECT count(*) FROM item_set_tags('ti_arts', 10, ARRAY['python', 'new']);
SELECT * FROM pg_temp.check();
-- visibility: published, unpublished, soft-deleted, restored
UPDATE ti_arts SET status = 'published' WHERE id IN (4, 10);
UPDATE ti_arts SET status = 'archived' WHERE id = 1;
UPDATE ti_arts SET deleted_at = '2026-09-01 00:00+00' WHERE id = 2;
UPDATE ti_arts SET deleted_at = NULL WHERE id = 5;
SELECT * FROM pg_temp.check();
SELECT id FROM items_by_tag(NULL::ti_arts, 'python', 1, 100);
-- the sort column: the copies follow, and so does the order
UPDATE ti_arts SET published_at = '2027-01-01 00:00+00' WHERE id = 3;
SELECT * FROM pg_temp.check();
SELECT DISTINCT a.item_visible, a.item_sort FROM ti_arts_tags a WHERE a.item_id = 3;
SELECT id FROM items_by_tag(NULL::ti_arts, 'python', 1, 3);
-- a change that touches none of them, and one that changes the key
UPDATE ti_arts SET title = 'three, retitled' WHERE id = 3;
UPDATE ti_arts SET id = 60 WHERE id = 6;
SELECT * FROM pg_temp.check();
SELECT pg_temp.arts_tags(60);
-- on the text target, the sort column; and its key
UPDATE ti_words SET n = 10 WHERE word = 'alpha';
UPDATE ti_words SET word = 'alef' WHERE word = 'alpha';
SELECT * FROM pg_temp.check();
SELECT name FROM item_get_tags('ti_words', 'alef');
-- a target row deleted: its associations go with it
DELETE FROM ti_arts WHERE id IN (3, 9);
DELETE FROM ti_memos WHERE id = '00000000-0000-0000-0000-000000000001';
SELECT count(*) AS left_behind FROM ti_arts_tags WHERE item_id IN (3, 9);
SELECT * FROM pg_temp.check();

-- an ORM writes the association table directly: the copies are set by the
-- trigger whatever it gave, and the counts follow
INSERT INTO ti_arts_tags (item_id, tag_id)
SELECT 8, id FROM tags WHERE name IN ('python', 'rust');
INSERT INTO ti_arts_tags (item_id, tag_id, position, item_visible, item_sort)
SELECT 7, id, 9, true, '1999-01-01 00:00+00' FROM tags WHERE name = 'sql';
INSERT INTO ti_memos_tags (item_id, tag_id, item_visible, item_sort)
SELECT '00000000-0000-0000-0000-000000000003', id, false, '00000000-0000-0000-0000-000000000000'
FROM tags WHERE name = 'python';
SELECT * FROM pg_temp.check();
SELECT a.item_id, t.name, a.item_visible, a.item_sort FROM ti_arts_tags a
JOIN tags t ON t.id = a.tag_id WHERE a.item_id IN (7, 8) ORDER BY 1, 2;
-- an UPDATE of the copies is undone the same way; an UPDATE that moves an
-- association to another item copies that item
UPDATE ti_arts_tags SET item_visible = true, item_sort = '1999-01-01 00:00+00'
WHERE item_id = 7;
UPDATE ti_arts_tags SET item_id = 8
WHERE item_id = 4 AND tag_id = (SELECT id FROM tags WHERE name = 'sql');
SELECT * FROM pg_temp.check();
DELETE FROM ti_arts_tags WHERE item_id = 8 AND tag_id = (SELECT id FROM tags WHERE name = 'rust');
SELECT * FROM pg_temp.check();
-- an item that does not exist: its foreign key says so (23503)
INSERT INTO ti_arts_tags (item_id, tag_id) SELECT 999, id FROM tags WHERE name = 'python';
\echo :LAST_ERROR_SQLSTATE

-- folded counts answer the same
SELECT tags_fold_counts() >= 0 AS folded;
SELECT count(*) AS pending FROM ti_arts_tag_count_deltas;
SELECT count(*) > 0 AS folded_counts FROM ti_arts_tag_counts;
SELECT * FROM pg_temp.check();

-- with the triggers bypassed, the copies and counts go wrong; tags_rebuild()
-- makes them right again, for every target
ALTER TABLE ti_arts_tags DISABLE TRIGGER USER;
ALTER TABLE ti_arts DISABLE TRIGGER USER;
UPDATE ti_arts SET status = CASE status WHEN 'published' THEN 'draft' ELSE 'published' END
WHERE id % 2 = 0;
INSERT INTO ti_arts_tags (item_id, tag_id, item_visible, item_sort)
SELECT 1, id, false, '2000-01-01' FROM tags WHERE name = 'zig';
ALTER TABLE ti_arts_tags ENABLE TRIGGER USER;
ALTER TABLE ti_arts ENABLE TRIGGER USER;
SELECT target, counts_differ > 0 AS counts_wrong, stale_copies > 0 AS copies_wrong
FROM pg_temp.check() WHERE target = 'ti_arts';
SELECT tags_rebuild();
SELECT * FROM pg_temp.check();
-- as they were, through the triggers
UPDATE ti_arts SET status = CASE status WHEN 'published' THEN 'draft' ELSE 'published' END
WHERE id % 2 = 0;
DELETE FROM ti_arts_tags WHERE item_id = 1 AND tag_id = (SELECT id FROM tags WHERE name = 'zig');
SELECT * FROM pg_temp.check();

-- TRUNCATE of an association table: every count of that target is 0
TRUNCATE ti_arts_tags;
SELECT * FROM pg_temp.check();
SELECT count(*) FILTER (WHERE item_count <> 0) AS nonzero FROM tag_item_counts('ti_arts');
SELECT count(*) FROM item_set_tags('ti_arts', 8, ARRAY['python', 'after truncate']);
SELECT name, item_count FROM tag_item_counts('ti_arts', 2);
SELECT * FROM pg_temp.check();
-- TRUNCATE ... CASCADE of a target empties its association table too
TRUNCATE ti_memos CASCADE;
SELECT count(*) AS associations FROM ti_memos_tags;
SELECT count(*) FILTER (WHERE item_count <> 0) AS nonzero FROM tag_item_counts('ti_memos');
SELECT * FROM pg_temp.check();

--
-- posts through the item functions
--

INSERT INTO posts (id, title, status, created_at, deleted_at) VALUES
    (1, 'p1', 'published', '2026-01-01 00:00+00', NULL),
    (2, 'p2', 'published', '2026-02-01 00:00+00', NULL),
    (3, 'p3', 'draft',     '2026-03-01 00:00+00', NULL),
    (4, 'p4', 'published', '2026-04-01 00:00+00', '2026-05-01 00:00+00'),
    (5, 'p5', 'published', '2026-02-01 00:00+00', NULL);
-- the same names give the same list either way
SELECT array_agg(name) FROM post_set_tags(1, ARRAY['Python', ' python ', 'SQL', 'Posts']);
SELECT array_agg(name) FROM item_set_tags('posts', 2, ARRAY['Python', ' python ', 'SQL', 'Posts']);
SELECT array_agg(name) FROM post_add_tags(1, ARRAY['rust', 'sql']);
SELECT array_agg(name) FROM item_add_tags('posts', 2, ARRAY['rust', 'sql']);
SELECT array_agg(name) FROM post_remove_tags(1, ARRAY['posts']);
SELECT array_agg(name) FROM item_remove_tags('posts', 2, ARRAY['posts']);
SELECT count(*) FROM item_set_tags('posts', 3, ARRAY['python']);
SELECT count(*) FROM item_set_tags('posts', 4, ARRAY['python', 'rust']);
SELECT count(*) FROM item_set_tags('posts', '5', ARRAY['python', 'sql']);
SELECT array_agg(name) FROM item_get_tags('posts', 1);
SELECT array_agg(name) FROM post_get_tags(1);
SELECT * FROM item_get_tags('posts', 99);
\echo :LAST_ERROR_SQLSTATE
-- a tag's posts, in the same order
SELECT array_agg(id) FROM items_by_tag(NULL::posts, 'python');
SELECT array_agg(id) FROM posts_by_tag('python');
SELECT array_agg(id) FROM items_by_tag(NULL::posts, 'python', 2, 1);
SELECT array_agg(id) FROM posts_by_tag('python', 2, 1);
-- the counts
SELECT count(*) AS differ FROM (
    (SELECT id, name, slug, item_count FROM tag_item_counts('posts')
     EXCEPT SELECT id, name, slug, post_count FROM tag_counts())
    UNION ALL
    (SELECT id, name, slug, post_count FROM tag_counts()
     EXCEPT SELECT id, name, slug, item_count FROM tag_item_counts('posts'))) d;
SELECT name, item_count FROM tag_item_counts('posts', 3);
SELECT name, post_count FROM tag_counts(3);
SELECT tag_item_count('posts', 'python'), tag_post_count('python');

-- nothing left
SELECT tags_disable('ti_arts'), tags_disable('ti_memos'), tags_disable('ti_words');
DROP TABLE ti_arts, ti_memos, ti_words, ti_plain;
SELECT target FROM tag_targets;
