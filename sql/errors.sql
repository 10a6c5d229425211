-- Every error a caller can cause: its message and SQLSTATE, and nothing of
-- the failed call left behind

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;

INSERT INTO posts (title, status) VALUES ('Post', 'published') RETURNING id AS post \gset
SELECT name FROM post_set_tags(:post, ARRAY['kept', 'also kept']);
-- (a name of 100 characters is fine: the limit counts characters, not
-- bytes, and white space that normalization removes does not count)
SELECT length(name) FROM tags_get_or_create(ARRAY[repeat('a', 100)]);
SELECT length(name) FROM tags_get_or_create(ARRAY[repeat('é', 100)]);
SELECT length(name) FROM tags_get_or_create(ARRAY[repeat('𝄞', 100)]);
SELECT length(name) FROM tags_get_or_create(ARRAY['   ' || repeat('b', 100) || '   ']);
CREATE TEMP TABLE snapshot AS
SELECT (SELECT count(*) FROM tags) AS tags, (SELECT count(*) FROM post_tags) AS post_tags;

-- post id NULL: 22004
SELECT * FROM post_set_tags(NULL, ARRAY['new']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM post_add_tags(NULL, ARRAY['new']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM post_remove_tags(NULL, ARRAY['kept']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM post_get_tags(NULL);
\echo :LAST_ERROR_SQLSTATE

-- a post that does not exist: P0002, for every function
SELECT * FROM post_set_tags(-42, ARRAY['new']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM post_set_tags(-42, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM post_add_tags(-42, ARRAY['new']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM post_remove_tags(-42, ARRAY['kept']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM post_get_tags(-42);
\echo :LAST_ERROR_SQLSTATE

-- a names array of two or more dimensions: 2202E
SELECT * FROM tags_get_or_create(ARRAY[['a', 'b'], ['c', 'd']]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM post_set_tags(:post, ARRAY[['new', 'b']]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM post_add_tags(:post, '{{{new}}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM post_remove_tags(:post, ARRAY[['kept']]);
\echo :LAST_ERROR_SQLSTATE

-- a name of more than 100 characters after normalization: 22001, naming
-- the tag
SELECT * FROM tags_get_or_create(ARRAY['fine', repeat('a', 101)]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tags_get_or_create(ARRAY[repeat('𝄞', 101)]);
\echo :LAST_ERROR_SQLSTATE
-- a compatibility character can grow into several: 'ﬃ' is 'ffi'
SELECT * FROM tags_get_or_create(ARRAY[repeat(U&'\FB03', 34)]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM post_set_tags(:post, ARRAY['new', repeat('x', 101)]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM post_add_tags(:post, ARRAY['new', repeat('x', 101)]);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO tags (name) VALUES (repeat('ﬃ', 34));
\echo :LAST_ERROR_SQLSTATE

-- a tag's posts: slug NULL is 22004, a slug that does not exist P0002
SELECT * FROM posts_by_tag(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_by_tag('no-such-tag');
\echo :LAST_ERROR_SQLSTATE
SELECT tag_post_count(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT tag_post_count('no-such-tag');
\echo :LAST_ERROR_SQLSTATE

-- page < 1 and page_size outside 1..100: 22023; NULL: 22004
SELECT * FROM posts_by_tag('kept', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_by_tag('kept', -1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_by_tag('kept', -2147483648);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_by_tag('kept', 1, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_by_tag('kept', 1, -5);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_by_tag('kept', 1, 101);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_by_tag('kept', 1, 2147483647);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_by_tag('kept', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_by_tag('kept', 1, NULL);
\echo :LAST_ERROR_SQLSTATE
-- the bounds themselves are fine
SELECT count(*) FROM posts_by_tag('kept', 1, 1);
SELECT count(*) FROM posts_by_tag('kept', 1, 100);

-- too many tags: 54000
SET tags.max_tags_per_post = 2;
SELECT * FROM post_set_tags(:post, ARRAY['new 1', 'new 2', 'new 3']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM post_add_tags(:post, ARRAY['new 1']);
\echo :LAST_ERROR_SQLSTATE
RESET tags.max_tags_per_post;

-- nothing of any failed call was written: no new tag, no association
SELECT (SELECT count(*) FROM tags) - tags AS new_tags,
       (SELECT count(*) FROM post_tags) - post_tags AS new_associations
FROM snapshot;
SELECT count(*) AS new_names FROM tags WHERE name LIKE 'new%' OR name = 'fine';
SELECT name FROM post_get_tags(:post);

-- the same inside a transaction block: the failed call leaves nothing, the
-- transaction is aborted, and a savepoint recovers it
BEGIN;
SELECT name FROM post_add_tags(:post, ARRAY['in transaction']);
SAVEPOINT s;
SELECT * FROM post_add_tags(:post, ARRAY['new', repeat('x', 101)]);
ROLLBACK TO SAVEPOINT s;
SELECT name FROM post_get_tags(:post);
ROLLBACK;
SELECT name FROM post_get_tags(:post);
