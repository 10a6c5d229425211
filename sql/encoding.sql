-- A database that is not UTF8 is refused at CREATE EXTENSION, with a clear
-- message, and nothing of the extension is left in it

\set regress_db :DBNAME
CREATE DATABASE tags_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
CREATE DATABASE tags_sql_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;

-- (the error's context is left out: from PostgreSQL 18 it names the line
-- of the install script, which changes with the script)
\set SHOW_CONTEXT never

\c tags_latin1
CREATE EXTENSION tags;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS leftovers FROM pg_class WHERE relname IN ('posts', 'tags', 'post_tags');
SELECT count(*) AS leftovers FROM pg_proc
WHERE proname IN ('tags_require_utf8', 'tag_normalize', 'tags_get_or_create', 'tags_before_write');

\c tags_sql_ascii
CREATE EXTENSION tags;
\echo :LAST_ERROR_SQLSTATE

\c :regress_db
\set SHOW_CONTEXT errors
DROP DATABASE tags_latin1;
DROP DATABASE tags_sql_ascii;
-- a UTF8 database is fine
SELECT getdatabaseencoding(), extname FROM pg_extension WHERE extname = 'tags';
