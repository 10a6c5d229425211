-- posts_tagged(names, match, exclude, page, page_size): posts with all, any
-- or exactly the named tags, and none of exclude, paged like posts_by_tag

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;

-- a small blog, to read the answers by eye.  Posts 2 and 3 share a
-- created_at, so id breaks the tie; 5 is a draft and 6 deleted, both with
-- every tag.
INSERT INTO posts (title, status, created_at, deleted_at) VALUES
    ('one',     'published', '2026-01-01', NULL),
    ('two',     'published', '2026-01-02', NULL),
    ('three',   'published', '2026-01-02', NULL),
    ('four',    'published', '2026-01-04', NULL),
    ('draft',   'draft',     '2026-01-05', NULL),
    ('deleted', 'published', '2026-01-06', '2026-02-01');
SELECT count(*) FROM post_set_tags(1, ARRAY['Python', 'PostgreSQL']);
SELECT count(*) FROM post_set_tags(2, ARRAY['Python', 'PostgreSQL', 'Rust']);
SELECT count(*) FROM post_set_tags(3, ARRAY['Python']);
SELECT count(*) FROM post_set_tags(4, ARRAY['Rust', 'PostgreSQL']);
SELECT count(*) FROM post_set_tags(5, ARRAY['Python', 'PostgreSQL', 'Rust']);
SELECT count(*) FROM post_set_tags(6, ARRAY['Python', 'PostgreSQL', 'Rust']);

-- all (the default): newest first, then id descending; no draft, no deleted
SELECT id, title FROM posts_tagged(ARRAY['python', 'postgresql']);
SELECT id, title FROM posts_tagged(ARRAY['python']);
-- names are normalized, and a name twice counts once
SELECT id FROM posts_tagged(ARRAY['  PYTHON ', 'Python', 'ＰｏｓｔｇｒｅＳＱＬ', NULL, '']);
-- any: most matching names first, then newest
SELECT id, title FROM posts_tagged(ARRAY['python', 'rust', 'postgresql'], 'any');
-- exact: this set of tags and no other
SELECT id FROM posts_tagged(ARRAY['python', 'postgresql'], 'exact');
SELECT id FROM posts_tagged(ARRAY['python'], 'exact');
-- exclude: none of these tags
SELECT id FROM posts_tagged(ARRAY['python'], exclude => ARRAY['Rust']);
SELECT id FROM posts_tagged(ARRAY['rust', 'python'], 'any', ARRAY['postgresql']);
SELECT id FROM posts_tagged(ARRAY['python', 'postgresql'], 'exact', ARRAY['rust']);
-- a name that is both wanted and excluded leaves nothing
SELECT count(*) FROM posts_tagged(ARRAY['python'], 'all', ARRAY['python']);
-- unknown names: on no post, so 'all' and 'exact' give nothing, 'any'
-- ignores them, and excluding them excludes nothing
SELECT count(*) FROM posts_tagged(ARRAY['python', 'no such tag']);
SELECT count(*) FROM posts_tagged(ARRAY['python', 'no such tag'], 'exact');
SELECT id FROM posts_tagged(ARRAY['no such tag', 'rust'], 'any');
SELECT id FROM posts_tagged(ARRAY['rust'], 'all', ARRAY['no such tag']);
-- no names at all give no rows
SELECT count(*) FROM posts_tagged('{}');
SELECT count(*) FROM posts_tagged(ARRAY[NULL, ' ', U&'\200B'], 'any');
-- pages: page 2 of 1-post pages, and past the end
SELECT id FROM posts_tagged(ARRAY['python'], page => 2, page_size => 1);
SELECT id FROM posts_tagged(ARRAY['python', 'rust'], 'any', page => 2, page_size => 2);
SELECT count(*) FROM posts_tagged(ARRAY['python'], page => 4, page_size => 1);
SELECT count(*) FROM posts_tagged(ARRAY['python'], page => 2147483647, page_size => 100);
-- posts are returned whole, as posts_by_tag returns them
SELECT * FROM posts_tagged(ARRAY['python'], 'exact');

\set VERBOSITY terse
SELECT * FROM posts_tagged(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_tagged(ARRAY['python'], NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_tagged(ARRAY['python'], 'ALL');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_tagged(ARRAY['python'], 'none');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_tagged(ARRAY['python'], page => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_tagged(ARRAY['python'], page_size => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_tagged(ARRAY['python'], page => 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_tagged(ARRAY['python'], page_size => 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_tagged(ARRAY['python'], page_size => 101);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_tagged(ARRAY[['python'], ['rust']]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_tagged(ARRAY['python'], exclude => ARRAY[repeat('x', 101)]);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- Random data against an oracle in plain SQL.  300 posts (a tenth drafts,
-- a tenth deleted, created_at drawn from 40 days so that many tie), each
-- with each of 25 tags at a chance of 30 %: about 7 tags a post.
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;
SELECT setseed(0.5);
INSERT INTO posts (title, status, created_at, deleted_at)
SELECT 'post ' || i,
       CASE WHEN random() < 0.1 THEN 'draft' ELSE 'published' END,
       timestamptz '2026-01-01' + floor(random() * 40) * interval '1 day',
       CASE WHEN random() < 0.1 THEN timestamptz '2026-03-01' END
FROM generate_series(1, 300) AS i;
SELECT count(*) FROM tags_get_or_create(ARRAY(SELECT 'Tag ' || j FROM generate_series(1, 25) AS j));
-- (each by its name: which of the tags one call makes gets the lower id
-- depends on the plan of the INSERT)
INSERT INTO post_tags (post_id, tag_id)
SELECT p, (SELECT id FROM tags WHERE name = 'tag ' || t)
FROM generate_series(1, 300) AS p, generate_series(1, 25) AS t
WHERE random() < 0.3;
-- and posts with exactly tags 1 and 2, or 1, 2 and 3, for 'exact'
INSERT INTO posts (title, status, created_at)
SELECT 'exact ' || i, 'published', timestamptz '2026-01-01' + (i % 7) * interval '1 day'
FROM generate_series(301, 340) AS i;
INSERT INTO post_tags (post_id, tag_id)
SELECT p, t.id FROM generate_series(301, 340) AS p, generate_series(1, 2 + p % 2) AS j
JOIN tags t ON t.name = 'tag ' || j;
ANALYZE posts, tags, post_tags;

-- the oracle: the distinct normalized names, every visible post's number
-- of matching, of all and of excluded tags, GROUP BY and HAVING
CREATE FUNCTION pg_temp.oracle(names text[], match text, excl text[],
                               page integer, page_size integer)
RETURNS SETOF integer LANGUAGE sql AS $$
    WITH wanted AS (
        SELECT DISTINCT tag_normalize(x) AS name FROM unnest(names) AS x
        WHERE tag_normalize(x) <> ''
    ), per_post AS (
        SELECT p.id, p.created_at,
               count(*) FILTER (WHERE t.name IN (SELECT name FROM wanted)) AS matched,
               count(*) AS total
        FROM posts p
        JOIN post_tags pt ON pt.post_id = p.id
        JOIN tags t ON t.id = pt.tag_id
        WHERE p.status = 'published' AND p.deleted_at IS NULL
        GROUP BY p.id
        HAVING count(*) FILTER (WHERE t.name IN (SELECT tag_normalize(x)
                                                 FROM unnest(excl) AS x)) = 0
    )
    SELECT id FROM per_post, (SELECT count(*) AS n FROM wanted) w
    WHERE w.n > 0
      AND CASE match WHEN 'all' THEN matched = w.n
                     WHEN 'any' THEN matched > 0
                     WHEN 'exact' THEN matched = w.n AND total = w.n END
    ORDER BY CASE WHEN match = 'any' THEN matched END DESC,
             created_at DESC, id DESC
    OFFSET (page - 1) * page_size LIMIT page_size
$$;

-- 600 random calls: 1 to 4 names among 26 (one no tag), in any spelling,
-- sometimes twice; a random mode; sometimes 1 or 2 names to exclude;
-- pages of 1 to 7, up to page 4
CREATE TEMP TABLE calls AS
SELECT i,
       ARRAY(SELECT CASE WHEN random() < 0.5 THEN 'tag ' ELSE ' TAG  ' END
                    || (1 + floor(random() * 26))::int
             FROM generate_series(1, 1 + (random() * 3)::int )) AS names,
       (ARRAY['all', 'any', 'exact'])[1 + i % 3] AS match,
       CASE WHEN random() < 0.4
            THEN ARRAY(SELECT 'Tag ' || (1 + floor(random() * 26))::int
                       FROM generate_series(1, 1 + (random() < 0.5)::int)) END AS excl,
       1 + (random() * 3)::int AS page,
       1 + (random() * 6)::int AS page_size
FROM generate_series(1, 600) AS i;
-- the 'exact' calls name the sets the exact posts have, half the time
UPDATE calls SET names = ARRAY(SELECT 'tag ' || t FROM generate_series(1, 2 + i % 2) AS t)
WHERE match = 'exact' AND i % 2 = 0;

-- every call equals the oracle, and most modes return rows
SELECT match,
       count(*) AS calls,
       count(*) FILTER (WHERE got <> want) AS wrong,
       count(*) FILTER (WHERE cardinality(got) > 0) AS with_rows,
       count(*) FILTER (WHERE excl IS NOT NULL AND cardinality(got) > 0) AS excluding_with_rows
FROM (SELECT c.*,
             ARRAY(SELECT id FROM posts_tagged(names, match, excl, page, page_size)) AS got,
             ARRAY(SELECT * FROM pg_temp.oracle(names, match, excl, page, page_size)) AS want
      FROM calls c) r
GROUP BY match ORDER BY match;

-- 20 names: 'all' of 20 tags is the posts with every one of them (a post
-- with all 25 added here), 'any' of 20 orders by how many each has
INSERT INTO posts (title, status, created_at) VALUES ('all of them', 'published', '2026-01-01') RETURNING id AS full_post \gset
INSERT INTO post_tags (post_id, tag_id) SELECT :full_post, t FROM generate_series(1, 25) AS t;
CREATE TEMP TABLE twenty AS SELECT ARRAY(SELECT 'tag ' || j FROM generate_series(1, 20) AS j) AS names;
SELECT id, title FROM posts_tagged((SELECT names FROM twenty));
SELECT ARRAY(SELECT id FROM posts_tagged((SELECT names FROM twenty), 'any', page_size => 50))
     = ARRAY(SELECT * FROM pg_temp.oracle((SELECT names FROM twenty), 'any', NULL, 1, 50)) AS any_of_twenty_right;
SELECT count(*) FROM posts_tagged((SELECT names FROM twenty), 'exact');
SELECT count(*) FROM posts_tagged((SELECT names || ARRAY['tag 21', 'tag 22', 'tag 23', 'tag 24', 'tag 25'] FROM twenty), 'exact');

-- 'all' reads the least used tag's posts, whichever order the names come
-- in: with a tag on one post and one on about a hundred, a page reads one
-- or two entries of the index of tags' posts, not a hundred
SELECT count(*) FROM post_set_tags(:full_post, ARRAY['tag 1', 'rare']);
SET stats_fetch_consistency = none;
SELECT pg_stat_force_next_flush();
SELECT idx_tup_read AS before FROM pg_stat_user_indexes
WHERE indexrelname = 'post_tags_tag_id_idx' \gset
SELECT count(*) FROM posts_tagged(ARRAY['tag 1', 'rare']);
SELECT pg_stat_force_next_flush();
SELECT idx_tup_read - :before AS index_entries_read FROM pg_stat_user_indexes
WHERE indexrelname = 'post_tags_tag_id_idx';
SELECT idx_tup_read AS before FROM pg_stat_user_indexes
WHERE indexrelname = 'post_tags_tag_id_idx' \gset
SELECT count(*) FROM posts_tagged(ARRAY['rare', 'tag 1']);
SELECT pg_stat_force_next_flush();
SELECT idx_tup_read - :before AS index_entries_read FROM pg_stat_user_indexes
WHERE indexrelname = 'post_tags_tag_id_idx';
SELECT count(*) AS posts_of_tag_1 FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE t.name = 'tag 1';
RESET stats_fetch_consistency;

-- A role under row-level security: the names are ordered by a live count,
-- the posts it cannot see are left out, and the oracle agrees
CREATE ROLE tags_tagged_reader;
GRANT SELECT ON posts, tags, post_tags, calls TO tags_tagged_reader;
-- (1.2 refuses a policy on posts, which pg_dump would lose: the test
-- bypasses the guard, as a superuser can, to check row-level security still)
ALTER EVENT TRIGGER tags_guard_builtin_tables DISABLE;
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY posts_even ON posts USING (id % 2 = 0);
ALTER EVENT TRIGGER tags_guard_builtin_tables ENABLE;
SET ROLE tags_tagged_reader;
SELECT match,
       count(*) FILTER (WHERE got <> want) AS wrong,
       count(*) FILTER (WHERE cardinality(got) > 0) AS with_rows,
       bool_and(got::int[] <@ ARRAY(SELECT id FROM posts WHERE id % 2 = 0)) AS only_visible
FROM (SELECT c.*,
             ARRAY(SELECT id FROM posts_tagged(names, match, excl, page, page_size)) AS got,
             ARRAY(SELECT * FROM pg_temp.oracle(names, match, excl, page, page_size)) AS want
      FROM calls c WHERE i <= 150) r
GROUP BY match ORDER BY match;
RESET ROLE;
DROP POLICY posts_even ON posts;
ALTER TABLE posts DISABLE ROW LEVEL SECURITY;
DROP OWNED BY tags_tagged_reader;
DROP ROLE tags_tagged_reader;
