/* tags--1.0--1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION tags UPDATE TO '1.1'" to load this file. \quit

--
-- Tag queries
--

CREATE FUNCTION tags_search(prefix text, lim integer DEFAULT 10)
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'tags_search'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION tags_search(text, integer) IS
'autocomplete: the tags whose name starts with the normalized prefix, most used first';

CREATE FUNCTION posts_tagged(names text[], match text DEFAULT 'all',
                             exclude text[] DEFAULT NULL,
                             page integer DEFAULT 1,
                             page_size integer DEFAULT 10)
RETURNS SETOF posts
AS 'MODULE_PATHNAME', 'posts_tagged'
LANGUAGE C STABLE PARALLEL SAFE;   -- not STRICT: NULL arguments are errors (22004)

COMMENT ON FUNCTION posts_tagged(text[], text, text[], integer, integer) IS
'one page of the listed posts that have all, any or exactly the named tags, and none of exclude';

CREATE FUNCTION tags_related(tag_slug text, lim integer DEFAULT 10)
RETURNS TABLE (id integer, name text, slug text, shared_posts bigint)
AS 'MODULE_PATHNAME', 'tags_related'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION tags_related(text, integer) IS
'the tags most often on the same listed posts as this one, with how many they share';

CREATE FUNCTION posts_related(post_id integer, lim integer DEFAULT 10)
RETURNS TABLE (id integer, title text, body text, status text,
               created_at timestamptz, deleted_at timestamptz,
               shared_tags bigint)
AS 'MODULE_PATHNAME', 'posts_related'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION posts_related(integer, integer) IS
'the listed posts that share the most tags with this one, with how many they share';
