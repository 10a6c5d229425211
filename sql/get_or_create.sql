-- tags_get_or_create: one row per distinct normalized name, in order of
-- first appearance; existing tags as they are, missing ones created

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;

-- all new: created, in order, NULL and blank elements skipped, duplicates
-- (after normalization) once, at their first place
SELECT name, slug
FROM tags_get_or_create(ARRAY['Python', NULL, 'Go', '  ', 'PYTHON', 'Rust',
                              U&'\200B', 'go ', 'Machine  Learning']);
SELECT count(*) AS tags FROM tags;

-- existing tags come back as they are (same id, slug and time)
SELECT id AS python_id, created_at AS python_created FROM tags WHERE name = 'python' \gset
SELECT id = :python_id AS same_id, created_at = :'python_created' AS same_time, slug
FROM tags_get_or_create(ARRAY['ＰＹＴＨＯＮ']);

-- a mix of existing and new, in the order given
SELECT name, slug FROM tags_get_or_create(ARRAY['rust', 'Zig', 'python', 'Elixir']);
SELECT count(*) AS tags FROM tags;

-- names with the same base slug get distinct slugs, in one call too, and
-- a slug family is respected: "cafe 2" does not take the "cafe-2" that
-- "café" is given
SELECT name, slug FROM tags_get_or_create(ARRAY['cafe', 'Café', 'café!', 'cafe 2', 'CAFE']);
SELECT name, slug FROM tags_get_or_create(ARRAY['cafe?']);

-- an empty list, an all-blank list and a NULL list give no rows
SELECT count(*) AS empty_list FROM tags_get_or_create('{}');
SELECT count(*) AS blanks FROM tags_get_or_create(ARRAY[NULL, '', ' ', E'\t']);
SELECT count(*) AS null_list FROM tags_get_or_create(NULL);

-- a one-dimensional array with other bounds is fine
SELECT name FROM tags_get_or_create('[5:6]={Kotlin,Swift}'::text[]);

-- many names at once
SELECT count(*) AS created, count(DISTINCT slug) AS distinct_slugs
FROM tags_get_or_create(ARRAY(SELECT 'bulk ' || i FROM generate_series(1, 2000) AS i));
SELECT count(*) AS found_again
FROM tags_get_or_create(ARRAY(SELECT 'BULK ' || i FROM generate_series(1, 2000) AS i));

-- every stored tag is consistent
SELECT count(*) AS bad_tags FROM tags
WHERE name <> tag_normalize(name) OR slug !~ '^[a-z0-9]+(-[a-z0-9]+)*$';
SELECT provolatile, proisstrict, proretset FROM pg_proc WHERE proname = 'tags_get_or_create';
