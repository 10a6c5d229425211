-- A million names in one call: done in bounded time, and statement_timeout
-- cancels a call cleanly, leaving nothing behind

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;

-- a million elements, a few names: normalized and deduplicated
SELECT name FROM tags_get_or_create(ARRAY(SELECT (ARRAY['One', ' one', 'TWO', NULL, ''])[1 + i % 5]
                                          FROM generate_series(1, 1000000) AS i));

-- a million distinct names, created, then found
SELECT count(*) AS created, count(DISTINCT slug) AS slugs
FROM tags_get_or_create(ARRAY(SELECT 'name ' || i FROM generate_series(1, 1000000) AS i));
SELECT count(*) AS found, min(id) AS first_id, max(id) AS last_id
FROM tags_get_or_create(ARRAY(SELECT 'NAME ' || i FROM generate_series(1, 1000000) AS i));

-- cancelled by statement_timeout: the error, and not one tag written (the
-- cancel may land in C or in one of the call's statements: keep the
-- context out)
\set SHOW_CONTEXT never
SET statement_timeout = '500ms';
SELECT count(*) FROM tags_get_or_create(ARRAY(SELECT 'late ' || i FROM generate_series(1, 1000000) AS i));
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
\set SHOW_CONTEXT errors
SELECT count(*) AS late_tags FROM tags WHERE name LIKE 'late%';

-- a name too large to normalize at all is refused before normalization
SELECT * FROM tags_get_or_create(ARRAY[repeat(' ', 70000) || 'x']);
\echo :LAST_ERROR_SQLSTATE

TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;
