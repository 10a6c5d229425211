-- Deep pages by keyset (posts_by_tag_after), and the most used tags
-- (tag_counts(top)), with their errors

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;

SET timezone = 'UTC';

-- 12 posts tagged "paged", post i of the (i + 1)th of May: 10 visible, 3 a
-- draft, 8 deleted; 6 shares the 6th with 5, and 10 the 10th with 9
INSERT INTO posts (id, title, status, created_at, deleted_at)
SELECT i, 'post ' || i,
       CASE WHEN i = 3 THEN 'draft' ELSE 'published' END,
       timestamptz '2024-05-01 00:00+00' + (CASE WHEN i IN (6, 10) THEN i - 1 ELSE i END) * interval '1 day',
       CASE WHEN i = 8 THEN timestamptz '2024-06-01 00:00+00' END
FROM generate_series(1, 12) AS i;
SELECT count(*) FROM posts p, LATERAL post_set_tags(p.id, ARRAY['Paged']);

-- page 1 of each form is the newest posts; ties go to the higher id
SELECT id, created_at FROM posts_by_tag('paged', 1, 4);
SELECT id, created_at FROM posts_by_tag_after('paged', NULL, NULL, 4);
-- the next pages start after the last post of the page before
SELECT id, created_at FROM posts_by_tag_after('paged', '2024-05-10 00:00+00', 9, 4);
SELECT id, created_at FROM posts_by_tag_after('paged', '2024-05-05 00:00+00', 4, 4);
SELECT id, created_at FROM posts_by_tag_after('paged', '2024-05-02 00:00+00', 1, 4);
-- the page of offsets agrees
SELECT id FROM posts_by_tag('paged', 2, 4);
SELECT id FROM posts_by_tag('paged', 3, 4);

-- a tie in created_at: after (6th of May, 6) comes 5, then older posts
SELECT id FROM posts_by_tag_after('paged', '2024-05-06 00:00+00', 6, 2);
-- the post need not be listed (8 is deleted), or exist: the position is
-- what counts
SELECT id FROM posts_by_tag_after('paged', '2024-05-09 00:00+00', 8, 2);
SELECT id FROM posts_by_tag_after('paged', '2024-05-08 12:00+00', 0, 2);
-- a post published or deleted between two pages moves in or out of the
-- pages to come, and the walk goes on
UPDATE posts SET status = 'published' WHERE id = 3;
UPDATE posts SET deleted_at = now() WHERE id = 2;
SELECT id FROM posts_by_tag_after('paged', '2024-05-05 00:00+00', 4, 4);
-- the default page size is 10
SELECT count(*) FROM posts_by_tag_after('paged', NULL, NULL);

-- errors
\set VERBOSITY terse
SELECT * FROM posts_by_tag_after('paged', '2024-05-04', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_by_tag_after('paged', NULL, 4);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_by_tag_after('paged', NULL, NULL, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_by_tag_after('paged', NULL, NULL, 101);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_by_tag_after('paged', NULL, NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_by_tag_after('no-such-tag', NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_by_tag_after(NULL, NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- the most used tags: five tags on 5, 4, 4, 2 and 0 visible posts
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;
INSERT INTO posts (title, status) SELECT 'p' || i, 'published' FROM generate_series(1, 5) AS i;
SELECT count(*) FROM tags_get_or_create(ARRAY['e', 'd', 'c', 'b', 'a']);
SELECT count(*) FROM post_add_tags(1, ARRAY['a', 'b', 'c']);
SELECT count(*) FROM post_add_tags(2, ARRAY['a', 'b', 'c', 'd']);
SELECT count(*) FROM post_add_tags(3, ARRAY['a', 'b', 'c', 'd']);
SELECT count(*) FROM post_add_tags(4, ARRAY['a', 'b']);
SELECT count(*) FROM post_add_tags(5, ARRAY['a', 'c']);
SELECT name, post_count FROM tag_counts();
-- the first rows, ties by name, tags without posts last
SELECT name, post_count FROM tag_counts(1);
SELECT name, post_count FROM tag_counts(2);
SELECT name, post_count FROM tag_counts(3);
SELECT name, post_count FROM tag_counts(5);
SELECT name, post_count FROM tag_counts(6);
SELECT count(*) FROM tag_counts(0);
-- the same once the deltas are folded, and with deltas pending on top
SELECT tags_fold_counts() AS folded_tags;
SELECT name, post_count FROM tag_counts(2);
UPDATE posts SET status = 'draft' WHERE id IN (1, 4);   -- a 3, b 2, c 3
SELECT count(*) FROM post_add_tags(5, ARRAY['d', 'e']); -- d 3, e 1
SELECT name, post_count FROM tag_counts(3);
SELECT name, post_count FROM tag_counts(4);
SELECT name, post_count FROM tag_counts();

\set VERBOSITY terse
SELECT * FROM tag_counts(-1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tag_counts(NULL);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
