-- The tables, their constraints, and direct SQL writes (an ORM's)

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;

-- the columns
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null, co.collname AS collation,
       a.attidentity AS identity, pg_get_expr(d.adbin, d.adrelid) AS default
FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_collation co ON co.oid = a.attcollation AND co.collname <> 'default'
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE c.relname IN ('posts', 'tags', 'post_tags', 'tag_post_counts', 'tag_post_count_deltas')
  AND c.relnamespace = 'public'::regnamespace
ORDER BY c.relname, a.attnum;

-- the constraints and indexes (NOT NULL is the columns' not_null above:
-- PostgreSQL 18 lists it in pg_constraint too)
SELECT conrelid::regclass AS "table", conname, pg_get_constraintdef(oid) AS definition
FROM pg_constraint
WHERE conrelid IN ('posts'::regclass, 'tags'::regclass, 'post_tags'::regclass,
                   'tag_post_counts'::regclass)
  AND contype <> 'n'
ORDER BY 1, 2;
SELECT indexrelid::regclass AS index, pg_get_indexdef(indexrelid) AS definition
FROM pg_index WHERE indrelid IN ('post_tags'::regclass, 'tag_post_counts'::regclass)
ORDER BY 1;

-- the triggers that keep the tags, the copies of the posts and the counters
SELECT tgrelid::regclass AS "table", tgname, pg_get_triggerdef(oid) AS definition
FROM pg_trigger
WHERE NOT tgisinternal
  AND tgrelid IN ('posts'::regclass, 'tags'::regclass, 'post_tags'::regclass)
ORDER BY 1, 2;

-- pg_dump dumps the rows of the three tables and of the synonyms and old
-- slugs, and where the ids are; not
-- the counters, which the triggers rebuild as the rows are restored
SELECT unnest(extconfig)::regclass AS dumped FROM pg_extension WHERE extname = 'tags' ORDER BY 1;

-- a post is a draft until published; status is one of three
INSERT INTO posts (title) VALUES ('First') RETURNING id, title, body, status, deleted_at;
-- (the rows in constraint errors hold the time: keep them out)
\set VERBOSITY terse
INSERT INTO posts (title, status) VALUES ('Bad', 'pending');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- an INSERT into tags normalizes the name and fills in the slug
INSERT INTO tags (name) VALUES ('  Machine' || U&'\00A0' || 'Learning ') RETURNING name, slug;
INSERT INTO tags (name) VALUES ('C++'), ('C#') RETURNING name, slug;
-- a second name with the same base slug gets the next free suffix
INSERT INTO tags (name) VALUES ('Café') RETURNING name, slug;
INSERT INTO tags (name) VALUES ('cafe!') RETURNING name, slug;
INSERT INTO tags (name) VALUES ('CAFE?') RETURNING name, slug;

-- the name is the key: another spelling of a name is the same tag
INSERT INTO tags (name) VALUES ('ＭＡＣＨＩＮＥ learning');
\echo :LAST_ERROR_SQLSTATE

-- a slug given is kept, if it is valid
INSERT INTO tags (name, slug) VALUES ('Golang', 'go') RETURNING name, slug;
\set VERBOSITY terse
INSERT INTO tags (name, slug) VALUES ('Rust', 'Rust') ;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO tags (name, slug) VALUES ('Rust', 'rust-') ;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO tags (name, slug) VALUES ('Rust', 'ru--st') ;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO tags (name, slug) VALUES ('Rust', 'rust lang') ;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO tags (name, slug) VALUES ('Rust', 'go') ;
\echo :LAST_ERROR_SQLSTATE

-- an empty name is refused, also one that normalizes to nothing
INSERT INTO tags (name) VALUES ('');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO tags (name) VALUES (U&'\200B \200D');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO tags (name) VALUES (NULL);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- a rename normalizes the new name and keeps the slug, so links stay valid
UPDATE tags SET name = 'Machine Learning (ML)' WHERE slug = 'machine-learning' RETURNING name, slug;
-- setting the slug to NULL asks for a new one; the tag's own slug is free
UPDATE tags SET slug = NULL WHERE slug = 'machine-learning' RETURNING name, slug;
UPDATE tags SET slug = NULL WHERE slug = 'cafe-3' RETURNING name, slug;
UPDATE tags SET slug = NULL WHERE name = 'golang' RETURNING name, slug;
\set VERBOSITY terse
UPDATE tags SET slug = 'Bad Slug' WHERE name = 'golang';
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- a slug family: "cafe 2" would take "cafe-2", which "cafe!" holds
INSERT INTO tags (name) VALUES ('cafe 2') RETURNING name, slug;

SELECT id, name, slug FROM tags ORDER BY id;

-- an ORM's plain association table: two columns, no position
INSERT INTO posts (title, status) VALUES ('Second', 'published') RETURNING id AS post \gset
SELECT name FROM post_set_tags(:post, ARRAY['c++', 'c#']);
INSERT INTO post_tags (post_id, tag_id)
SELECT :post, id FROM tags WHERE name = 'golang';
-- sorts after the ordered tags
SELECT name, position FROM post_get_tags(:post) t
JOIN post_tags pt ON pt.tag_id = t.id AND pt.post_id = :post;
-- a duplicate association is refused by the primary key
INSERT INTO post_tags (post_id, tag_id) SELECT :post, id FROM tags WHERE name = 'golang';
\echo :LAST_ERROR_SQLSTATE
-- so is one with a post or tag that does not exist
\set VERBOSITY terse
INSERT INTO post_tags (post_id, tag_id) VALUES (:post, -1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO post_tags (post_id, tag_id) SELECT -1, id FROM tags WHERE name = 'golang';
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- deleting a tag deletes its associations only; deleting a post, its own
DELETE FROM tags WHERE name = 'c#';
SELECT name FROM post_get_tags(:post);
DELETE FROM posts WHERE id = :post;
SELECT count(*) AS associations_left FROM post_tags WHERE post_id = :post;
SELECT name FROM tags WHERE name IN ('c++', 'golang') ORDER BY name;
