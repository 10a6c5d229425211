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
