-- A post's tag list: set, add, remove, get

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;

INSERT INTO posts (title, status) VALUES ('Hello', 'published') RETURNING id AS post \gset
INSERT INTO posts (title, status) VALUES ('Other', 'published') RETURNING id AS other \gset

-- a post without tags has an empty list
SELECT count(*) AS no_tags FROM post_get_tags(:post);

-- set: exactly these, in this order, created as needed
SELECT name, slug FROM post_set_tags(:post, ARRAY['Rust', 'go', 'Python', 'GO']);
SELECT name FROM post_get_tags(:post);

-- set again: the order is the new one
SELECT name FROM post_set_tags(:post, ARRAY['python', 'rust', 'go']);

-- associations that stay are neither deleted nor inserted again: a row
-- whose position did not move keeps its row version (ctid and xmin)
CREATE TEMP TABLE before_set AS
SELECT t.name, pt.ctid AS row_ctid, pt.xmin::text AS row_xmin
FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
WHERE pt.post_id = :post;
SELECT name FROM post_set_tags(:post, ARRAY['python', 'rust', 'zig']);
SELECT b.name,
       a.ctid IS NOT NULL AS still_there,
       a.ctid = b.row_ctid AND a.xmin::text = b.row_xmin AS same_row_version
FROM before_set b
LEFT JOIN (SELECT t.name, pt.ctid, pt.xmin FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
           WHERE pt.post_id = :post) a ON a.name = b.name
ORDER BY b.name;

-- the seed's mistake 1: an update that leaves the tags out (NULL) must not
-- clear them
SELECT name FROM post_set_tags(:post, NULL);
-- an explicitly empty list removes them all
SELECT count(*) AS after_empty FROM post_set_tags(:post, '{}');
SELECT name FROM post_set_tags(:post, ARRAY['python', 'rust']);
-- and so does a list of blanks
SELECT count(*) AS after_blanks FROM post_set_tags(:post, ARRAY[' ', NULL]);

-- add: at the end, the ones the post has stay where they are
SELECT name FROM post_set_tags(:post, ARRAY['python', 'rust']);
SELECT name FROM post_add_tags(:post, ARRAY['Go', 'PYTHON', 'Zig', 'go']);
SELECT pt.position, t.name FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
WHERE pt.post_id = :post ORDER BY pt.position;
-- adding nothing changes nothing
SELECT name FROM post_add_tags(:post, NULL);
SELECT name FROM post_add_tags(:post, '{}');

-- remove: only the associations go; names not on the post, or not tags at
-- all, are ignored and not created
SELECT name FROM post_remove_tags(:post, ARRAY['RUST', 'elixir', 'no such tag']);
SELECT count(*) AS not_created FROM tags WHERE name = 'no such tag';
-- the seed's mistake 3: the removed tag itself stays
SELECT name, slug FROM tags WHERE name = 'rust';
SELECT name FROM post_remove_tags(:post, NULL);

-- add after remove keeps the order: the new one goes last
SELECT name FROM post_add_tags(:post, ARRAY['rust']);

-- a row an ORM inserted without a position stays before tags added later
INSERT INTO post_tags (post_id, tag_id) SELECT :post, id FROM tags_get_or_create(ARRAY['orm']);
SELECT name FROM post_add_tags(:post, ARRAY['later']);

-- posts are independent
SELECT name FROM post_set_tags(:other, ARRAY['zig']);
SELECT name FROM post_get_tags(:post);

-- a soft-deleted or draft post can still be tagged
UPDATE posts SET deleted_at = now(), status = 'draft' WHERE id = :other;
SELECT name FROM post_add_tags(:other, ARRAY['python']);

-- tags.max_tags_per_post limits a post's tags (0: no limit)
SET tags.max_tags_per_post = 3;
SELECT name FROM post_set_tags(:other, ARRAY['a', 'b', 'c']);
SELECT name FROM post_set_tags(:other, ARRAY['a', 'b', 'c', 'd']);
\echo :LAST_ERROR_SQLSTATE
-- duplicates count once
SELECT name FROM post_set_tags(:other, ARRAY['a', 'b', 'c', 'A', ' b ']);
-- for add, the resulting total counts
SELECT name FROM post_add_tags(:other, ARRAY['a', 'c']);
SELECT name FROM post_add_tags(:other, ARRAY['d']);
\echo :LAST_ERROR_SQLSTATE
-- nothing of the failed calls was written
SELECT name FROM post_get_tags(:other);
SELECT count(*) AS d_not_created FROM tags WHERE name = 'd';
SET tags.max_tags_per_post = 0;
SELECT count(*) AS unlimited FROM post_set_tags(:other, ARRAY(SELECT 'many ' || i FROM generate_series(1, 150) AS i));
RESET tags.max_tags_per_post;
SHOW tags.max_tags_per_post;
SET tags.max_tags_per_post = -1;
SET tags.no_such_setting = 1;

-- the functions' declared properties
SELECT proname, provolatile, proisstrict, proparallel FROM pg_proc
WHERE proname IN ('post_set_tags', 'post_add_tags', 'post_remove_tags', 'post_get_tags')
ORDER BY proname;
