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

--
-- Synonyms and old slugs
--
-- A synonym is one more name of a tag: every function that takes names
-- resolves it to its tag, and get-or-create never creates a tag of that
-- name.  An old slug (an alias) keeps a renamed or merged tag's links
-- working: every function that takes a slug resolves it, and no new tag
-- gets it.  A name is a tag's name or a synonym, never both; a slug is a
-- tag's slug or an alias, never both.  Both tables are written by the
-- functions below, which keep those rules under concurrency.
--

CREATE TABLE tag_synonyms (
    name        varchar(100) COLLATE pg_catalog."C"
                CONSTRAINT tag_synonyms_pkey PRIMARY KEY
                CONSTRAINT tag_synonyms_name_check
                CHECK (name OPERATOR(pg_catalog.<>) ''),
    tag_id      integer NOT NULL
                CONSTRAINT tag_synonyms_tag_id_fkey
                REFERENCES tags (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);

COMMENT ON TABLE tag_synonyms IS
'other names of tags: a normalized name here resolves to its tag wherever a function takes names';

CREATE INDEX tag_synonyms_tag_id_idx ON tag_synonyms (tag_id);

CREATE TABLE tag_slug_aliases (
    slug        varchar(100) COLLATE pg_catalog."C"
                CONSTRAINT tag_slug_aliases_pkey PRIMARY KEY
                CONSTRAINT tag_slug_aliases_slug_check
                CHECK (slug OPERATOR(pg_catalog.~) '^[a-z0-9]+(-[a-z0-9]+)*$'),
    tag_id      integer NOT NULL
                CONSTRAINT tag_slug_aliases_tag_id_fkey
                REFERENCES tags (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);

COMMENT ON TABLE tag_slug_aliases IS
'old slugs of renamed and merged tags: a slug here resolves to its tag wherever a function takes a slug';

CREATE INDEX tag_slug_aliases_tag_id_idx ON tag_slug_aliases (tag_id);

-- user data, like tags
SELECT pg_catalog.pg_extension_config_dump('tag_synonyms', '');
SELECT pg_catalog.pg_extension_config_dump('tag_slug_aliases', '');

-- every role that may resolve a name or a slug reads them, as it reads tags
GRANT SELECT ON tag_synonyms, tag_slug_aliases TO PUBLIC;

--
-- Tag care
--

CREATE FUNCTION tag_add_synonym(name text, target_slug text)
RETURNS tags
AS 'MODULE_PATHNAME', 'tag_add_synonym'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION tag_add_synonym(text, text) IS
'makes the normalized name another name of the tag with this slug, and returns that tag';

CREATE FUNCTION tag_remove_synonym(name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'tag_remove_synonym'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION tag_remove_synonym(text) IS
'removes the synonym with this normalized name; returns whether there was one';

CREATE FUNCTION tag_rename(slug text, new_name text)
RETURNS tags
AS 'MODULE_PATHNAME', 'tag_rename'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION tag_rename(text, text) IS
'gives the tag a new name and the slug made from it; the old slug keeps resolving to the tag';

CREATE FUNCTION tag_merge(from_slug text, into_slug text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'tag_merge'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION tag_merge(text, text) IS
'moves every post of one tag to another and deletes it, keeping its name as a synonym and its slug as an alias; returns the number of associations moved';

CREATE FUNCTION tags_prune(min_age interval DEFAULT '0')
RETURNS bigint
AS 'MODULE_PATHNAME', 'tags_prune'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION tags_prune(interval) IS
'deletes the tags on no post that are at least min_age old; returns how many';

--
-- More tag queries
--

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
