-- tag_slugify on real names in scripts ICU cannot transliterate: the CLDR
-- emoji names and keywords (annotations/ and annotationsDerived/) in Khmer,
-- Lao, Sinhala, Cherokee and Myanmar, from Debian's unicode-cldr-core
-- (scripts/install-deps.sh installs it; CLDR has no Tibetan or Dzongkha
-- annotations).  Only booleans are printed, so that a new CLDR release
-- gives the same output.

-- the distinct normalized names that hold a letter of those scripts
CREATE TABLE cldr_names AS
SELECT DISTINCT f.lang, tag_normalize(k) AS name
FROM (SELECT l AS lang,
             pg_read_file('/usr/share/unicode/cldr/common/' || d || '/' || l || '.xml') AS body
      FROM unnest(ARRAY['annotations', 'annotationsDerived']) AS d,
           unnest(ARRAY['km', 'lo', 'si', 'chr', 'my']) AS l) AS f,
     XMLTABLE('/ldml/annotations/annotation'
              PASSING xmlparse(DOCUMENT f.body)
              COLUMNS body text PATH '.') AS a,
     regexp_split_to_table(a.body, '\|') AS k
WHERE tag_normalize(k) ~ '[\u0D80-\u0DFF\u0E80-\u0EFF\u0F00-\u0FFF\u1000-\u109F\u13A0-\u13FF\u1780-\u17FF\u19E0-\u19FF\uA9E0-\uA9FF\uAA60-\uAA7F\uAB70-\uABBF]';

CREATE TABLE cldr_slugs AS
SELECT name, tag_slugify(name) AS slug
FROM (SELECT DISTINCT name FROM cldr_names) AS n;

-- thousands of names, and over a thousand in each language
SELECT count(*) >= 10000 AS many_names FROM cldr_slugs;
SELECT lang, count(*) >= 1000 AS many_names
FROM cldr_names GROUP BY lang ORDER BY lang;

-- every slug is [a-z0-9] words joined by hyphens, at most 90 characters,
-- and slugifies to itself
SELECT bool_and(slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$') AS valid,
       bool_and(length(slug) <= 90) AS short_enough,
       bool_and(tag_slugify(slug) = slug) AS idempotent
FROM cldr_slugs;

-- no letter is spelled with its Unicode name ("khmer-letter-kha")
SELECT count(*) AS spelled_by_char_names
FROM cldr_slugs
WHERE slug ~ '(khmer|lao|sinhala|cherokee|myanmar)-(small-)?(letter|sign|vowel|digit)';

-- at most 1 % of the names share their base slug with another name, in all
-- and in each language
SELECT count(*) FILTER (WHERE shared) <= 0.01 * count(*) AS few_shared
FROM (SELECT count(*) OVER (PARTITION BY slug) > 1 AS shared
      FROM cldr_slugs) AS s;
SELECT n.lang, count(*) FILTER (WHERE s.shared) <= 0.01 * count(*) AS few_shared
FROM cldr_names AS n
     JOIN (SELECT name, count(*) OVER (PARTITION BY slug) > 1 AS shared
           FROM cldr_slugs) AS s USING (name)
GROUP BY n.lang ORDER BY n.lang;

-- slugs are 32 characters long on average
SELECT avg(length(slug)) <= 32 AS short FROM cldr_slugs;

-- another spelling of a name (capitals, decomposed) has the same slug
SELECT bool_and(tag_slugify(upper(normalize(name, NFD))) = slug) AS same_slug
FROM cldr_slugs;

-- a new backend, which has opened nothing yet, gives the same slugs
\c -
SELECT bool_and(tag_slugify(name) = slug) AS deterministic FROM cldr_slugs;

DROP TABLE cldr_names, cldr_slugs;
