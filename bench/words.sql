-- Real tag names for the workloads of a long-lived connection and of bulk
-- SQL writes: the words of Debian's word lists (wamerican, wfrench,
-- wngerman, hunspell-ru), one spelling kept for each normalized name, in an
-- order that mixes the languages (md5 of the name), numbered from 1.
-- Needs the extension in schema ext (tag_normalize decides which spellings
-- are the same tag).
-- WORDS | psql -f bench/words.sql   (one word a line on standard input)
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET work_mem = '512MB';

DROP SCHEMA IF EXISTS words CASCADE;
CREATE SCHEMA words;
CREATE TEMP TABLE raw_words (word text);
\copy raw_words FROM pstdin

-- word: a spelling as a user types it (what the workloads pass); name: the
-- tag's name it gives
CREATE TABLE words.names (
    i       integer PRIMARY KEY,
    word    text NOT NULL,
    name    text NOT NULL UNIQUE
);
INSERT INTO words.names (i, word, name)
SELECT row_number() OVER (ORDER BY md5(name), name), word, name
FROM (SELECT DISTINCT ON (name) name, word
      FROM (SELECT word, ext.tag_normalize(word) AS name FROM raw_words) n
      WHERE name <> '' AND length(name) <= 100
      ORDER BY name, word) d;
VACUUM ANALYZE words.names;
