-- Counts per tag and a tag's posts: only published posts that are not
-- soft-deleted count

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;

-- (explicit ids, as a restore or an import would give)
INSERT INTO posts (id, title, status, created_at, deleted_at) VALUES
    (1001, 'published old',   'published', '2026-01-01 10:00+00', NULL),
    (1002, 'published new',   'published', '2026-03-01 10:00+00', NULL),
    (1003, 'published tie a', 'published', '2026-02-01 10:00+00', NULL),
    (1004, 'published tie b', 'published', '2026-02-01 10:00+00', NULL),
    (1005, 'draft',           'draft',     '2026-04-01 10:00+00', NULL),
    (1006, 'archived',        'archived',  '2026-04-02 10:00+00', NULL),
    (1007, 'deleted',         'published', '2026-04-03 10:00+00', '2026-05-01 00:00+00');
SELECT count(*) FROM post_set_tags(1001, ARRAY['SQL', 'Rust']);
SELECT count(*) FROM post_set_tags(1002, ARRAY['SQL']);
SELECT count(*) FROM post_set_tags(1003, ARRAY['SQL', 'Go']);
SELECT count(*) FROM post_set_tags(1004, ARRAY['SQL', 'Go']);
-- "hidden" is only on posts that do not count
SELECT count(*) FROM post_set_tags(1005, ARRAY['SQL', 'hidden']);
SELECT count(*) FROM post_set_tags(1006, ARRAY['SQL', 'hidden']);
SELECT count(*) FROM post_set_tags(1007, ARRAY['SQL', 'hidden']);
-- "unused" is on no post at all
SELECT count(*) FROM tags_get_or_create(ARRAY['unused']);

-- every tag, with 0 where no counted post has it; most used first, then by
-- name.  (The seed counted associations: it would say hidden 3, sql 7.)
SELECT name, slug, post_count FROM tag_counts();

-- the oracle: the same numbers counted another way, tag by tag
SELECT count(*) AS mismatches
FROM tags t
FULL JOIN tag_counts() c ON c.id = t.id
WHERE c.post_count IS DISTINCT FROM
      (SELECT count(*) FROM posts p
       WHERE p.status = 'published' AND p.deleted_at IS NULL
         AND EXISTS (SELECT FROM post_tags pt WHERE pt.post_id = p.id AND pt.tag_id = t.id));

-- publishing, archiving, deleting and restoring change the counts at once
UPDATE posts SET status = 'published' WHERE id = 1005;
UPDATE posts SET status = 'archived' WHERE id = 1001;
UPDATE posts SET deleted_at = NULL WHERE id = 1007;
SELECT name, post_count FROM tag_counts();
UPDATE posts SET status = 'draft' WHERE id = 1005;
UPDATE posts SET status = 'published' WHERE id = 1001;
UPDATE posts SET deleted_at = '2026-05-01 00:00+00' WHERE id = 1007;

-- a tag's posts: newest first, and of two at the same time, the higher id
SELECT id, title FROM posts_by_tag('sql');
SELECT tag_post_count('sql') AS total;
-- paging
SELECT id FROM posts_by_tag('sql', 1, 2);
SELECT id FROM posts_by_tag('sql', 2, 2);
SELECT id FROM posts_by_tag('sql', page => 3, page_size => 2);
SELECT id FROM posts_by_tag('sql', page_size => 100);
-- a page past the end is empty, even the last possible one (no overflow)
SELECT count(*) AS past_the_end FROM posts_by_tag('sql', 2147483647, 100);
-- the posts come whole
SELECT * FROM posts_by_tag('rust');
-- a tag with no counted posts has none to list
SELECT count(*) AS hidden_posts FROM posts_by_tag('hidden');
SELECT tag_post_count('hidden') AS hidden_total, tag_post_count('unused') AS unused_total;

SELECT oid::regprocedure AS function, provolatile, proisstrict, proparallel
FROM pg_proc
WHERE proname IN ('tag_counts', 'posts_by_tag', 'posts_by_tag_after', 'tag_post_count')
ORDER BY oid::regprocedure::text;
