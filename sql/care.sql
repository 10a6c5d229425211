-- tag care: synonyms, renames with old slugs, merges and pruning; the
-- counters stay exact through each

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;
\set VERBOSITY terse

-- what the counters say, against a count of the tables: no rows when equal
CREATE FUNCTION pg_temp.counts_differ() RETURNS TABLE (slug text, counted bigint, oracle bigint)
LANGUAGE sql AS $$
    SELECT coalesce(c.slug, o.slug), c.post_count, o.n
    FROM tag_counts() c
    FULL JOIN (SELECT t.slug::text, count(p.id) AS n
               FROM tags t
               LEFT JOIN post_tags pt ON pt.tag_id = t.id
               LEFT JOIN posts p ON p.id = pt.post_id
                    AND p.status = 'published' AND p.deleted_at IS NULL
               GROUP BY t.slug) o ON o.slug = c.slug
    WHERE c.post_count IS DISTINCT FROM o.n
$$;

-- a post's tags, as one line
CREATE FUNCTION pg_temp.tags_of(post integer) RETURNS text
LANGUAGE sql AS $$
    SELECT string_agg(slug, ' ' ORDER BY ord) FROM post_get_tags(post) WITH ORDINALITY AS g(id, name, slug, created_at, ord)
$$;

INSERT INTO posts (title, status)
SELECT 'post ' || i, CASE WHEN i = 6 THEN 'draft' ELSE 'published' END
FROM generate_series(1, 6) AS i;

SELECT p.id, pg_temp.tags_of(p.id) FROM posts p,
    LATERAL post_set_tags(p.id, CASE p.id
        WHEN 1 THEN ARRAY['JavaScript', 'Python']
        WHEN 2 THEN ARRAY['JS', 'Python']
        WHEN 3 THEN ARRAY['Python', 'js', 'ECMAScript']
        WHEN 4 THEN ARRAY['ecmascript']
        WHEN 5 THEN ARRAY['Rust']
        ELSE ARRAY['js'] END) AS s
GROUP BY p.id ORDER BY p.id;

-- the ids of two tags made by one call are compared, never printed: which
-- gets the lower id depends on the plan of the INSERT
SELECT (SELECT id FROM tags WHERE name = 'javascript') AS javascript_id,
       (SELECT id FROM tags WHERE name = 'python') AS python_id \gset

--
-- Synonyms
--

-- another tag's name (a merge makes it a synonym), or the target's own name
SELECT tag_add_synonym('JS', 'javascript');
\echo :LAST_ERROR_SQLSTATE
SELECT tag_add_synonym('JavaScript', 'javascript');
\echo :LAST_ERROR_SQLSTATE

-- a name nobody has: normalized, and returns the target
SELECT id = :javascript_id AS javascript, name, slug FROM tag_add_synonym('Ｎｏｄｅ', 'javascript');
SELECT id = :javascript_id AS javascript, name, slug FROM tag_add_synonym('  node ', 'javascript');  -- again: no change
SELECT s.name, t.slug FROM tag_synonyms s JOIN tags t ON t.id = s.tag_id ORDER BY s.name;
-- already another tag's synonym
SELECT tag_add_synonym('node', 'python');
\echo :LAST_ERROR_SQLSTATE

-- every function that takes names resolves it
SELECT slug FROM tags_get_or_create(ARRAY['NODE', 'rust', 'node', 'JavaScript']);
SELECT count(*) AS tags FROM tags;
SELECT slug FROM post_set_tags(5, ARRAY['node', 'javascript', 'rust']);
SELECT slug FROM post_add_tags(5, ARRAY['Node', 'python']);
SELECT slug FROM post_remove_tags(5, ARRAY['node']);
SELECT slug FROM post_add_tags(5, ARRAY['node']);
SELECT * FROM pg_temp.counts_differ();
-- the tag limit counts tags, not names: a name and its synonym are one
SET tags.max_tags_per_post = 3;
SELECT slug FROM post_set_tags(5, ARRAY['rust', 'python', 'node', 'javascript']);
SELECT slug FROM post_add_tags(5, ARRAY['NODE']);
SELECT slug FROM post_set_tags(5, ARRAY['rust', 'python', 'node', 'c']);
\echo :LAST_ERROR_SQLSTATE
RESET tags.max_tags_per_post;

-- a direct write cannot give a tag a synonym's name
INSERT INTO tags (name) VALUES ('NODE');
\echo :LAST_ERROR_SQLSTATE
UPDATE tags SET name = 'node' WHERE slug = 'rust';
\echo :LAST_ERROR_SQLSTATE

-- removed: the name names nothing, and a tag of that name can be created
SELECT tag_remove_synonym('Node');
SELECT tag_remove_synonym('node');
SELECT slug FROM tags_get_or_create(ARRAY['node']);
SELECT slug FROM post_get_tags(5);

-- bad input
SELECT tag_add_synonym(NULL, 'python');
\echo :LAST_ERROR_SQLSTATE
SELECT tag_add_synonym('py', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT tag_add_synonym(' ', 'python');
\echo :LAST_ERROR_SQLSTATE
SELECT tag_add_synonym(repeat('x', 101), 'python');
\echo :LAST_ERROR_SQLSTATE
SELECT tag_add_synonym('py', 'no-such-tag');
\echo :LAST_ERROR_SQLSTATE
SELECT tag_remove_synonym(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS synonyms FROM tag_synonyms;

--
-- Renames
--

SELECT id = :python_id AS python, name, slug FROM tag_rename('python', 'Python 3');
-- the old slug keeps resolving, in every function that takes a slug
SELECT id FROM posts_by_tag('python');
SELECT id FROM posts_by_tag_after('python', NULL, NULL, 2);
SELECT tag_post_count('python'), tag_post_count('python-3');
SELECT slug FROM tag_add_synonym('py', 'python');
SELECT a.slug, t.slug AS tag FROM tag_slug_aliases a JOIN tags t ON t.id = a.tag_id ORDER BY a.slug;
-- a new tag does not get an old slug
SELECT slug FROM tags_get_or_create(ARRAY['python']);
INSERT INTO tags (name, slug) VALUES ('pythons', 'python');
\echo :LAST_ERROR_SQLSTATE

-- onto another tag's name or synonym: 23505, with a hint to merge
\set VERBOSITY default
SELECT tag_rename('python-3', 'JavaScript');
SELECT tag_rename('rust', 'py');
\set VERBOSITY terse
-- onto its own synonym: the synonym goes; onto its own name: no change
SELECT id = :python_id AS python, name, slug FROM tag_rename('python', 'PY');
SELECT name FROM tag_synonyms WHERE name = 'py';
SELECT id = :python_id AS python, name, slug FROM tag_rename('py', 'py');
-- back to a name whose slug it had: that old slug is its own again
SELECT id = :python_id AS python, name, slug FROM tag_rename('py', 'Python 3');
SELECT a.slug, t.slug AS tag FROM tag_slug_aliases a JOIN tags t ON t.id = a.tag_id ORDER BY a.slug;
-- a direct UPDATE that takes an old slug back drops it as an alias
SELECT id = :python_id AS python, name, slug FROM tag_rename('python-3', 'Python three');
UPDATE tags SET name = 'Python 3', slug = NULL WHERE slug = 'python-three'
RETURNING id = :python_id AS python, name, slug;
SELECT a.slug, t.slug AS tag FROM tag_slug_aliases a JOIN tags t ON t.id = a.tag_id ORDER BY a.slug;
SELECT tag_rename(NULL, 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT tag_rename('python-3', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT tag_rename('no-such-tag', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT tag_rename('python-3', '');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pg_temp.counts_differ();

--
-- Merges
--

-- positions before: a post with both keeps the first of the two (post 2),
-- a moved association its own, even none (post 3)
SELECT slug FROM post_add_tags(2, ARRAY['javascript']);
UPDATE post_tags SET position = NULL
WHERE post_id = 3 AND tag_id = (SELECT id FROM tags WHERE slug = 'js');
SELECT p.id, pg_temp.tags_of(p.id) FROM posts p ORDER BY p.id;
SELECT slug, post_count FROM tag_counts();

SELECT tag_merge('js', 'javascript') AS moved;
SELECT p.id, pg_temp.tags_of(p.id) FROM posts p ORDER BY p.id;
SELECT pt.post_id, pt.position FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
WHERE t.slug = 'javascript' ORDER BY pt.post_id;
SELECT slug, post_count FROM tag_counts();
SELECT * FROM pg_temp.counts_differ();
-- from's name is a synonym of into, its slug an alias
SELECT slug FROM tags_get_or_create(ARRAY['JS']);
SELECT id FROM posts_by_tag('js');
-- the queries resolve them too
SELECT id FROM posts_tagged(ARRAY['JS', 'python 3']);
SELECT id FROM posts_tagged(ARRAY['rust'], 'any', exclude => ARRAY['js']);
SELECT slug, shared_posts FROM tags_related('js');
-- merging one side of a post that has both: the first position wins
SELECT tag_merge('ecmascript', 'js') AS moved;
SELECT p.id, pg_temp.tags_of(p.id) FROM posts p ORDER BY p.id;
-- synonyms and aliases of a merged tag follow it
SELECT tag_merge('python-3', 'rust') AS moved;
SELECT s.name, t.slug FROM tag_synonyms s JOIN tags t ON t.id = s.tag_id ORDER BY s.name;
SELECT a.slug, t.slug AS tag FROM tag_slug_aliases a JOIN tags t ON t.id = a.tag_id ORDER BY a.slug;
SELECT slug FROM tags_get_or_create(ARRAY['py', 'python 3', 'ecmascript']);
SELECT * FROM pg_temp.counts_differ();
SELECT tags_fold_counts() >= 0 AS folded;
SELECT * FROM pg_temp.counts_differ();

SELECT tag_merge('javascript', 'js');
\echo :LAST_ERROR_SQLSTATE
SELECT tag_merge('rust', 'rust');
\echo :LAST_ERROR_SQLSTATE
SELECT tag_merge('no-such-tag', 'rust');
\echo :LAST_ERROR_SQLSTATE
SELECT tag_merge('rust', NULL);
\echo :LAST_ERROR_SQLSTATE

--
-- Pruning
--

SELECT slug FROM tags_get_or_create(ARRAY['unused old', 'unused new', 'draft only']);
SELECT slug FROM post_add_tags(6, ARRAY['draft only']);
UPDATE tags SET created_at = now() - interval '2 days' WHERE slug IN ('unused-old', 'draft-only');
SELECT tag_add_synonym('old', 'unused-old') IS NOT NULL AS synonym_added;
SELECT tags_prune('1 day');
SELECT slug FROM tags ORDER BY slug;
-- its synonym went with it
SELECT count(*) FROM tag_synonyms WHERE name = 'old';
SELECT tags_prune();
SELECT slug FROM tags ORDER BY slug;
SELECT tags_prune();
SELECT tags_prune(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT tags_prune('-1 hour');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pg_temp.counts_differ();
