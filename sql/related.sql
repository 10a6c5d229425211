-- tags_related(tag_slug, lim) and posts_related(post_id, lim): the tags on
-- the same posts, the posts with the same tags, counted over listed posts

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;

-- 6 is a draft and 7 deleted: their tags do not count.  Posts 2 and 3
-- share a created_at, so id breaks the tie.
INSERT INTO posts (title, status, created_at, deleted_at) VALUES
    ('one',     'published', '2026-01-01', NULL),
    ('two',     'published', '2026-01-02', NULL),
    ('three',   'published', '2026-01-02', NULL),
    ('four',    'published', '2026-01-04', NULL),
    ('five',    'published', '2026-01-05', NULL),
    ('draft',   'draft',     '2026-01-06', NULL),
    ('deleted', 'published', '2026-01-07', '2026-02-01');
SELECT count(*) FROM post_set_tags(1, ARRAY['python', 'postgresql', 'sql']);
SELECT count(*) FROM post_set_tags(2, ARRAY['python', 'postgresql', 'rust']);
SELECT count(*) FROM post_set_tags(3, ARRAY['python', 'postgresql', 'c']);
SELECT count(*) FROM post_set_tags(4, ARRAY['python', 'rust']);
SELECT count(*) FROM post_set_tags(5, ARRAY['go']);
SELECT count(*) FROM post_set_tags(6, ARRAY['python', 'go', 'sql', 'c']);
SELECT count(*) FROM post_set_tags(7, ARRAY['python', 'go', 'sql', 'c']);

-- most shared posts first, then by name; not the tag itself; the draft and
-- the deleted post do not count (else go would share 2 with python).  (The
-- ids are checked, not printed: which of the tags one call makes gets the
-- lower id depends on the plan of the INSERT.)
SELECT id = (SELECT t.id FROM tags t WHERE t.slug = r.slug) AS right_id, name, slug, shared_posts
FROM tags_related('python') r;
SELECT name, shared_posts FROM tags_related('python', 2);
SELECT name, shared_posts FROM tags_related('rust');
-- a tag alone on its posts, or on none listed, has none related
SELECT count(*) FROM tags_related('go');

-- most shared tags first, then newest, then by id; not the post itself;
-- the draft and the deleted post are not listed
SELECT * FROM posts_related(1);
SELECT id, shared_tags FROM posts_related(1, 1);
SELECT id, shared_tags FROM posts_related(4);
-- a post that shares no tag, or has none, has none related; a draft has
-- related posts too (for a preview), and hidden posts are never among them
SELECT count(*) FROM posts_related(5);
INSERT INTO posts (title, status) VALUES ('untagged', 'published');
SELECT count(*) FROM posts_related(8);
SELECT id, shared_tags FROM posts_related(6);

\set VERBOSITY terse
SELECT * FROM tags_related(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tags_related('nope');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tags_related('python', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tags_related('python', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tags_related('python', 101);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_related(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_related(42);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_related(1, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_related(1, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_related(1, 101);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- Random data against an oracle in plain SQL: 200 posts, a fifth hidden,
-- created_at from 30 days, each with each of 20 tags at a chance of 25 %
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;
SELECT setseed(0.25);
INSERT INTO posts (title, status, created_at, deleted_at)
SELECT 'post ' || i,
       CASE WHEN random() < 0.1 THEN 'archived' ELSE 'published' END,
       timestamptz '2026-01-01' + floor(random() * 30) * interval '1 day',
       CASE WHEN random() < 0.1 THEN timestamptz '2026-03-01' END
FROM generate_series(1, 200) AS i;
SELECT count(*) FROM tags_get_or_create(ARRAY(SELECT 'tag ' || j FROM generate_series(1, 20) AS j));
INSERT INTO post_tags (post_id, tag_id)
SELECT p, t FROM generate_series(1, 200) AS p, generate_series(1, 20) AS t
WHERE random() < 0.25;
ANALYZE posts, tags, post_tags;

CREATE FUNCTION pg_temp.listed(p posts) RETURNS boolean LANGUAGE sql
AS $$ SELECT p.status = 'published' AND p.deleted_at IS NULL $$;
CREATE FUNCTION pg_temp.tags_oracle(tag text, lim integer)
RETURNS TABLE (id integer, shared bigint) LANGUAGE sql AS $$
    SELECT o.tag_id, count(*)
    FROM tags t
    JOIN post_tags pt ON pt.tag_id = t.id
    JOIN posts p ON p.id = pt.post_id AND pg_temp.listed(p)
    JOIN post_tags o ON o.post_id = p.id AND o.tag_id <> t.id
    JOIN tags ot ON ot.id = o.tag_id
    WHERE t.slug = tag
    GROUP BY o.tag_id, ot.name
    ORDER BY count(*) DESC, ot.name
    LIMIT lim
$$;
CREATE FUNCTION pg_temp.posts_oracle(post integer, lim integer)
RETURNS TABLE (id integer, shared bigint) LANGUAGE sql AS $$
    SELECT p.id, count(*)
    FROM post_tags mine
    JOIN post_tags o ON o.tag_id = mine.tag_id AND o.post_id <> mine.post_id
    JOIN posts p ON p.id = o.post_id AND pg_temp.listed(p)
    WHERE mine.post_id = post
    GROUP BY p.id
    ORDER BY count(*) DESC, p.created_at DESC, p.id DESC
    LIMIT lim
$$;

-- every tag and every post, with 1, 3 and 100 rows, equal the oracle;
-- ties are many (counts of at most 20), and most answers are non-empty
SELECT count(*) AS calls,
       count(*) FILTER (WHERE got IS DISTINCT FROM want) AS wrong,
       count(*) FILTER (WHERE cardinality(got) > 0) AS with_rows
FROM (SELECT ARRAY(SELECT row(r.id, r.shared_posts) FROM tags_related(t.slug, l) r) AS got,
             ARRAY(SELECT row(o.id, o.shared) FROM pg_temp.tags_oracle(t.slug, l) o) AS want
      FROM tags t, (VALUES (1), (3), (100)) AS v(l)) c;
SELECT count(*) AS calls,
       count(*) FILTER (WHERE got IS DISTINCT FROM want) AS wrong,
       count(*) FILTER (WHERE cardinality(got) > 0) AS with_rows
FROM (SELECT ARRAY(SELECT row(r.id, r.shared_tags) FROM posts_related(p.id, l) r) AS got,
             ARRAY(SELECT row(o.id, o.shared) FROM pg_temp.posts_oracle(p.id, l) o) AS want
      FROM posts p, (VALUES (1), (3), (100)) AS v(l)) c;

-- under row-level security a role counts only the posts it sees (posts is
-- joined), and a post it cannot see does not exist for it
CREATE ROLE tags_related_reader;
GRANT SELECT ON posts, tags, post_tags TO tags_related_reader;
-- (1.2 refuses a policy on posts, which pg_dump would lose: the test
-- bypasses the guard, as a superuser can, to check row-level security still)
ALTER EVENT TRIGGER tags_guard_builtin_tables DISABLE;
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY posts_even ON posts USING (id % 2 = 0);
ALTER EVENT TRIGGER tags_guard_builtin_tables ENABLE;
SET ROLE tags_related_reader;
SELECT count(*) AS calls,
       count(*) FILTER (WHERE got IS DISTINCT FROM want) AS wrong,
       count(*) FILTER (WHERE cardinality(got) > 0) AS with_rows
FROM (SELECT ARRAY(SELECT row(r.id, r.shared_posts) FROM tags_related(t.slug, 100) r) AS got,
             ARRAY(SELECT row(o.id, o.shared) FROM pg_temp.tags_oracle(t.slug, 100) o) AS want
      FROM tags t) c;
SELECT count(*) AS calls,
       count(*) FILTER (WHERE got IS DISTINCT FROM want) AS wrong,
       count(*) FILTER (WHERE cardinality(got) > 0) AS with_rows,
       bool_and(NOT EXISTS (SELECT FROM posts_related(p.id, 100) r
                            WHERE r.id % 2 = 1)) AS only_visible
FROM (SELECT p.id,
             ARRAY(SELECT row(r.id, r.shared_tags) FROM posts_related(p.id, 100) r) AS got,
             ARRAY(SELECT row(o.id, o.shared) FROM pg_temp.posts_oracle(p.id, 100) o) AS want
      FROM posts p) p;
\set VERBOSITY terse
SELECT * FROM posts_related(1);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
RESET ROLE;
DROP POLICY posts_even ON posts;
ALTER TABLE posts DISABLE ROW LEVEL SECURITY;
DROP OWNED BY tags_related_reader;
DROP ROLE tags_related_reader;
