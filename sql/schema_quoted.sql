-- The extension installs and works in a schema whose name needs quoting,
-- and follows when it is dropped and created again in another schema
-- within one session

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;

-- a call in public first, so that this session keeps plans for public
SELECT name FROM tags_get_or_create(ARRAY['in public']);

DROP EXTENSION tags;
CREATE SCHEMA "Blog Data";
CREATE EXTENSION tags SCHEMA "Blog Data";
SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'tags';

-- not on the search_path: qualified calls work all the same
INSERT INTO "Blog Data".posts (title, status) VALUES ('Quoted', 'published') RETURNING id AS post \gset
SELECT name, slug FROM "Blog Data".post_set_tags(:post, ARRAY['Hello World', 'Café']);
SELECT name FROM "Blog Data".post_add_tags(:post, ARRAY['more']);
SELECT name FROM "Blog Data".post_remove_tags(:post, ARRAY['more']);
SELECT name FROM "Blog Data".post_get_tags(:post);
SELECT name, post_count FROM "Blog Data".tag_counts();
SELECT title FROM "Blog Data".posts_by_tag('hello-world');
SELECT "Blog Data".tag_post_count('cafe');
-- the trigger finds its schema too
INSERT INTO "Blog Data".tags (name) VALUES ('CAFÉ!') RETURNING name, slug;

-- back to public, for the tests after this one
DROP EXTENSION tags;
DROP SCHEMA "Blog Data";
CREATE EXTENSION tags SCHEMA public;
SELECT name FROM tags_get_or_create(ARRAY['in public again']);
-- dropped and created again in the same schema: the kept plans are for
-- tables that are gone, and are prepared again
DROP EXTENSION tags;
CREATE EXTENSION tags SCHEMA public;
SELECT name FROM tags_get_or_create(ARRAY['in public once more']);
SELECT name FROM tags;
