-- tags_search(prefix, lim): autocomplete, most used first, off the index

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;

INSERT INTO posts (title, status)
SELECT 'post ' || i, CASE WHEN i = 4 THEN 'draft' ELSE 'published' END
FROM generate_series(1, 4) AS i;
SELECT count(*) FROM post_set_tags(1, ARRAY['Python', 'PyTorch', 'PostgreSQL']);
SELECT count(*) FROM post_set_tags(2, ARRAY['PyTorch', 'Pydantic']);
SELECT count(*) FROM post_set_tags(3, ARRAY['PyTorch', 'Pydantic', 'pypy']);
-- a draft does not count
SELECT count(*) FROM post_set_tags(4, ARRAY['pypy', 'Python', 'pyramid scheme']);

-- most used first, then by name; the prefix is normalized first
SELECT name, slug FROM tags_search('Py');
SELECT name FROM tags_search('py', 2);
SELECT name FROM tags_search('ＰＹＴ');
SELECT name FROM tags_search('  PYT');
-- a space inside the prefix is part of it
SELECT name FROM tags_search('pyramid   s');
-- no match, and prefixes that match nothing
SELECT count(*) FROM tags_search('rust');
SELECT count(*) FROM tags_search('');
SELECT count(*) FROM tags_search(U&'\200B');
SELECT count(*) FROM tags_search(repeat('p', 101));
-- the characters of LIKE patterns are plain characters
SELECT count(*) FROM tags_search('p%');
SELECT count(*) FROM tags_search('p_');

\set VERBOSITY terse
SELECT * FROM tags_search(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tags_search('py', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tags_search('py', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tags_search('py', 101);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- at 100 000 tags the names come off the index: the call scans tags by
-- index, never sequentially (the statistics of this transaction's scans)
SELECT count(*) FROM tags_get_or_create(ARRAY(SELECT 'filler ' || i FROM generate_series(1, 100000) AS i));
ANALYZE tags;
BEGIN;
SELECT name FROM tags_search('pyd');
SELECT seq_scan, idx_scan > 0 AS read_off_an_index
FROM pg_stat_xact_user_tables WHERE relname = 'tags';
COMMIT;
