-- A caller's search_path changes nothing: with look-alike tables, functions
-- and operators first on its path, the functions still read and write the
-- extension's own tables with the built-in operators

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;

INSERT INTO posts (title, status) VALUES ('Real', 'published') RETURNING id AS post \gset
SELECT name FROM post_set_tags(:post, ARRAY['kept']);

-- a hostile schema: tables named like the extension's, an "=" that says
-- everything is equal, an unnest that returns nothing, a count that lies
CREATE SCHEMA evil;
CREATE TABLE evil.posts (LIKE public.posts);
CREATE TABLE evil.tags (LIKE public.tags);
CREATE TABLE evil.post_tags (LIKE public.post_tags);
INSERT INTO evil.posts VALUES (:post, 'Fake', '', 'published', now(), NULL);
CREATE FUNCTION evil.always(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.always);
CREATE FUNCTION evil.always(integer, integer) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR evil.= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = evil.always);
CREATE FUNCTION evil.unnest(anyarray) RETURNS SETOF anyelement
    LANGUAGE sql AS 'SELECT x FROM pg_catalog.unnest($1) AS x LIMIT 0';
CREATE FUNCTION evil.count_lies(bigint, anyelement) RETURNS bigint
    LANGUAGE sql AS 'SELECT 1000';
CREATE AGGREGATE evil.count(anyelement) (SFUNC = evil.count_lies, STYPE = bigint, INITCOND = '0');
CREATE OPERATOR evil.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.always);
CREATE OPERATOR evil.<> (LEFTARG = integer, RIGHTARG = integer, FUNCTION = evil.always);
CREATE OPERATOR evil.>= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.always);
CREATE OPERATOR evil.< (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.always);
CREATE OPERATOR evil.~ (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.always);
CREATE FUNCTION evil.concat_lies(text, text) RETURNS text LANGUAGE sql AS 'SELECT ''x''';
CREATE OPERATOR evil.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.concat_lies);
-- and temporary tables, which come first on any path
CREATE TEMP TABLE posts (LIKE public.posts);
CREATE TEMP TABLE tags (LIKE public.tags);
CREATE TEMP TABLE post_tags (LIKE public.post_tags);
INSERT INTO pg_temp.posts SELECT * FROM evil.posts;

SET search_path = evil, pg_catalog, public;

-- every function still works on the extension's tables
SELECT name, slug FROM public.post_set_tags(:post, ARRAY['kept', 'Hijack']);
SELECT name FROM public.post_add_tags(:post, ARRAY['more']);
SELECT name FROM public.post_remove_tags(:post, ARRAY['more']);
SELECT name FROM public.post_get_tags(:post);
SELECT name, slug FROM public.tags_get_or_create(ARRAY['kept', 'other']);
-- slugs that collide, and the search for a free suffix
SELECT name, slug FROM public.tags_get_or_create(ARRAY['Other!', 'other?']);
SELECT name, post_count FROM public.tag_counts();
SELECT title FROM public.posts_by_tag('hijack');
SELECT public.tag_post_count('hijack');
INSERT INTO public.tags (name) VALUES ('Direct') RETURNING name, slug;

-- the look-alikes were not touched
SELECT (SELECT count(*) FROM evil.tags) AS evil_tags,
       (SELECT count(*) FROM evil.post_tags) AS evil_post_tags,
       (SELECT count(*) FROM pg_temp.tags) AS temp_tags,
       (SELECT title FROM pg_temp.posts) AS temp_post,
       (SELECT count(*) FROM pg_temp.post_tags) AS temp_post_tags;

RESET search_path;
SELECT name, slug FROM public.tags ORDER BY name;
\set VERBOSITY terse
DROP SCHEMA evil CASCADE;
