-- Targets without tenants on Citus: distributed by their key, their tags in
-- the global vocabulary of their schema, reference tables whose copy on
-- every node is identical; their counts kept per shard group
CREATE SCHEMA blog;
CREATE TABLE blog.articles (
    id bigint PRIMARY KEY,
    title text,
    status text NOT NULL DEFAULT 'published',
    published_at timestamptz
);
SELECT create_distributed_table('blog.articles', 'id');
CREATE TABLE blog.pages (slug text PRIMARY KEY, body text);
SELECT create_distributed_table('blog.pages', 'slug');

-- tags_enable makes the schema's global vocabulary, as reference tables,
-- and distributes the lists by their item, colocated with the target
SELECT tags_enable('blog.articles', $$status = 'published'$$, 'published_at');
SELECT tags_enable('blog.pages');
SELECT logicalrelid, partmethod, repmodel,
       column_to_column_name(logicalrelid, partkey) AS column
FROM pg_dist_partition
WHERE logicalrelid::text LIKE 'blog.%'
ORDER BY logicalrelid::text COLLATE "C";
SELECT logicalrelid, colocationid = (SELECT colocationid FROM pg_dist_partition
                                     WHERE logicalrelid = 'blog.articles'::regclass)
                     AS colocated
FROM pg_dist_partition
WHERE logicalrelid::text LIKE 'blog.articles%'
ORDER BY logicalrelid::text COLLATE "C";
SELECT tags::text, synonyms::text, slug_aliases::text, tenant_type
FROM tag_vocabularies WHERE tags::text LIKE 'blog.%';
SELECT nodeport, result FROM run_command_on_workers($$
    SELECT string_agg(r.target || ' ' || r.vocabulary || ' '
                      || COALESCE(v.tenant_type::text, 'no tenants'), ', '
                      ORDER BY r.target::text)
    FROM tag_targets r JOIN tag_vocabularies v ON v.tags = r.vocabulary
    WHERE r.target::text LIKE 'blog.%'$$) ORDER BY nodeport;

-- writes and reads
INSERT INTO blog.articles (id, title, published_at)
SELECT i, 'article ' || i, '2026-01-01'::timestamptz + i * interval '1 day'
FROM generate_series(1, 24) i;
UPDATE blog.articles SET published_at = NULL WHERE id = 24;
INSERT INTO blog.pages VALUES ('about', 'who'), ('contact', 'where');
SELECT count(*) FROM (
    SELECT item_set_tags('blog.articles', i, ARRAY['Python', 'SQL', 'tag ' || (i % 3)])
    FROM generate_series(1, 24) i) s;
SELECT name, slug FROM item_set_tags('blog.pages', 'about', ARRAY['python', 'Go']);
-- one vocabulary for both targets: one tag of each name
SELECT name, slug FROM blog.global_tags ORDER BY name COLLATE "C";
SELECT name FROM item_get_tags('blog.articles', 3);
SELECT name FROM item_add_tags('blog.articles', 3, ARRAY['Go']);
SELECT name FROM item_remove_tags('blog.articles', 3, ARRAY['sql']);
SELECT id, published_at FROM items_by_tag(NULL::blog.articles, 'python', 1, 5);
SELECT id FROM items_by_tag(NULL::blog.articles, 'python', 5, 5);
SELECT id FROM items_by_tag_after(NULL::blog.articles, 'python',
                                  ROW(10, 'article 10', 'published',
                                      '2026-01-11 00:00+00')::blog.articles, 4);
SELECT id FROM items_by_tag_after(NULL::blog.articles, 'python',
                                  ROW(24, NULL, 'published', NULL)::blog.articles, 4);
SELECT slug FROM items_by_tag(NULL::blog.pages, 'go');
SELECT id FROM items_tagged(NULL::blog.articles, ARRAY['go', 'tag 0'], 'all');
SELECT tag_item_count('blog.articles', 'python'), tag_item_count('blog.pages', 'python');
SELECT name, item_count FROM tag_item_counts('blog.articles');
SELECT name, item_count FROM tag_item_counts('blog.articles', 2);
SELECT name FROM tags_search('ta', target => 'blog.articles');
SELECT name, shared_posts FROM tags_related('go', target => 'blog.articles');
SELECT (item).id, shared_tags FROM items_related(
    ROW(3, 'article 3', 'published', '2026-01-04 00:00+00')::blog.articles, 3);
-- a write is undone with the caller's transaction
BEGIN;
SELECT name FROM item_set_tags('blog.articles', 4, ARRAY['Elixir']);
ROLLBACK;
SELECT name FROM item_get_tags('blog.articles', 4);
SELECT count(*) FROM blog.global_tags WHERE name = 'elixir';

-- an item's calls run on the shard group of the item: an item's tags are
-- one single-shard statement; a write is one too, after two reads of its
-- names in the coordinator's copy of the global vocabulary (which Citus
-- counts as statements of one shard), before and after the lock tag care
-- waits for, which make those missing before the item is locked; a tag's
-- page reads every shard group
SET citus.enable_stat_counters = on;
CREATE FUNCTION shard_statements(OUT single bigint, OUT multi bigint) AS $$
    SELECT query_execution_single_shard, query_execution_multi_shard
    FROM citus_stat_counters()
    WHERE database_id = (SELECT oid FROM pg_database
                         WHERE datname = current_database())
$$ LANGUAGE sql;
SELECT citus_stat_counters_reset();
SELECT name FROM item_set_tags('blog.articles', 5, ARRAY['Python', 'Go']);
SELECT * FROM shard_statements() AS set_existing;
SELECT citus_stat_counters_reset();
SELECT name FROM item_get_tags('blog.articles', 5);
SELECT * FROM shard_statements() AS get;
SELECT citus_stat_counters_reset();
SELECT id FROM items_by_tag(NULL::blog.articles, 'go', 1, 3);
SELECT multi > 0 AS every_shard_group FROM shard_statements() AS page;

-- the global vocabulary's slugs are chosen once, on the coordinator: the
-- copy of each of its tables on every node is the same, after renames, a
-- new tag taking a renamed tag's old name, synonyms, a merge and a prune
SELECT name, slug FROM tags_get_or_create(ARRAY['Rust', 'Elixir'], target => 'blog.pages');
SELECT name, slug FROM tag_rename('rust', 'Rustlang', target => 'blog.articles');
SELECT name, slug FROM tag_rename('elixir', 'Rust', target => 'blog.articles');
SELECT name, slug FROM tags_get_or_create(ARRAY['Elixir'], target => 'blog.articles');
SELECT name, slug FROM tag_add_synonym('py', 'python', target => 'blog.articles');
SELECT name FROM item_set_tags('blog.articles', 6, ARRAY['PY', 'rust']);
SELECT name, slug FROM tag_add_synonym('snake', 'python', target => 'blog.articles');
SELECT tag_remove_synonym('snake', target => 'blog.articles');
SELECT slug, tag_id = (SELECT id FROM blog.global_tags WHERE slug = 'rustlang') AS rustlang
FROM blog.global_tag_slug_aliases ORDER BY slug;
-- a merge moves the associations of every shard group, the item that had
-- both tags keeping one; a prune deletes the tags on no item of any
-- target (rustlang and elixir-2)
SELECT name FROM item_add_tags('blog.articles', 9, ARRAY['tag 1']);
SELECT tag_item_count('blog.articles', 'tag-0') AS tag_0,
       tag_item_count('blog.articles', 'tag-1') AS tag_1;
SELECT tag_merge('tag-0', 'tag-1', target => 'blog.articles');
SELECT tag_item_count('blog.articles', 'tag-1') AS tag_1;
SELECT name FROM item_get_tags('blog.articles', 9);
SELECT id FROM items_by_tag(NULL::blog.articles, 'tag-0', 1, 3);
SELECT name, slug FROM tags_get_or_create(ARRAY['tag 0'], target => 'blog.articles');
SELECT tags_prune(target => 'blog.articles');
SELECT name, slug FROM blog.global_tags ORDER BY name COLLATE "C";
SELECT name, (SELECT slug FROM blog.global_tags WHERE id = tag_id) AS tag
FROM blog.global_tag_synonyms ORDER BY name COLLATE "C";
CREATE FUNCTION copies(table_name regclass, columns text)
RETURNS TABLE (nodeport integer, copy text) AS $$
    SELECT nodeport, result
    FROM run_command_on_placements(table_name, format(
        'SELECT md5(string_agg(%s, '','' ORDER BY %s)) FROM %%s', columns, columns))
$$ LANGUAGE sql;
SELECT count(*) AS nodes, count(DISTINCT copy) AS copies
FROM copies('blog.global_tags', 'id || name || slug');
SELECT count(*) AS nodes, count(DISTINCT copy) AS copies
FROM copies('blog.global_tag_synonyms', 'name || tag_id');
SELECT count(*) AS nodes, count(DISTINCT copy) AS copies
FROM copies('blog.global_tag_slug_aliases', 'slug || tag_id');
-- and the same as the coordinator's reading
SELECT (SELECT md5(string_agg(id || name || slug, ',' ORDER BY id || name || slug))
        FROM blog.global_tags) = ALL (
       SELECT copy FROM copies('blog.global_tags', 'id || name || slug'))
       AS same;


-- exact: the application's updates and deletes fire the triggers on the
-- workers' shards; the shard groups fold their own counts (every two
-- deltas here); a tag's count is summed over them
ALTER ROLE CURRENT_USER SET tags.fold_every = 2;
\c
SELECT count(*) FROM (
    SELECT item_set_tags('blog.articles', i, ARRAY['Python', 'tag ' || (i % 4)])
    FROM generate_series(7, 20) i) s;
UPDATE blog.articles SET status = 'draft' WHERE id IN (7, 8, 9);
UPDATE blog.articles SET published_at = '2025-01-01 00:00+00' WHERE id = 10;
DELETE FROM blog.articles WHERE id IN (11, 12);
INSERT INTO blog.articles (id, title) VALUES (25, 'article 25');
SELECT name FROM item_add_tags('blog.articles', 25, ARRAY['Go', 'Python']);
ALTER ROLE CURRENT_USER RESET tags.fold_every;
\c
CREATE FUNCTION plain_wrong_counts() RETURNS bigint AS $$
    SELECT count(*) FROM tag_item_counts('blog.articles') c
    FULL JOIN (SELECT tag_id, count(*) AS n FROM blog.articles_tags a
               WHERE item_visible GROUP BY tag_id) o ON o.tag_id = c.id
    WHERE c.item_count IS DISTINCT FROM COALESCE(o.n, 0)
$$ LANGUAGE sql;
CREATE FUNCTION stale_or_orphaned() RETURNS bigint AS $$
    SELECT count(*) FROM blog.articles_tags a
    LEFT JOIN blog.articles t ON t.id = a.item_id
    WHERE t.id IS NULL
       OR a.item_visible <> (t.status = 'published')
       OR a.item_sort <> COALESCE(t.published_at, '-infinity')
$$ LANGUAGE sql;
-- the tags whose count kept in a shard group differs from the group's
-- visible associations
CREATE FUNCTION wrong_in_a_group() RETURNS bigint AS $$
    SELECT count(*) FROM (
        SELECT get_shard_id_for_distribution_column('blog.articles_tags', a.item_id) AS g,
               a.tag_id, count(*) AS n
        FROM blog.articles_tags a WHERE a.item_visible GROUP BY 1, 2) live
    FULL JOIN (
        SELECT get_shard_id_for_distribution_column('blog.articles_tags', u.item_id) AS g,
               u.tag_id, sum(u.n) AS n
        FROM (SELECT item_id, tag_id, item_count AS n FROM blog.articles_tag_counts
              UNION ALL
              SELECT item_id, tag_id, delta FROM blog.articles_tag_count_deltas) u
        GROUP BY 1, 2) kept
      ON kept.g = live.g AND kept.tag_id = live.tag_id
    WHERE COALESCE(kept.n, 0) <> COALESCE(live.n, 0)
$$ LANGUAGE sql;
-- folded on the shards (several counts of one tag, over the shard groups)
SELECT count(*) > count(DISTINCT tag_id) AS per_shard_group
FROM blog.articles_tag_counts;
-- which every count sums, a search too
SELECT name, tag_item_count('blog.articles', slug)
FROM tags_search('t', target => 'blog.articles');
SELECT plain_wrong_counts(), stale_or_orphaned(), wrong_in_a_group();
SELECT tag_item_count('blog.articles', 'python') = (
    SELECT count(*) FROM blog.articles_tags a JOIN blog.global_tags g ON g.id = a.tag_id
    WHERE g.slug = 'python' AND a.item_visible) AS python_exact;
SELECT tags_fold_counts() >= 0 AS folded;
SELECT count(*) FROM blog.articles_tag_count_deltas;
-- folded from the coordinator, each shard group still counts its own
-- items
SELECT count(*) > count(DISTINCT tag_id) AS per_shard_group, wrong_in_a_group()
FROM blog.articles_tag_counts;
SELECT plain_wrong_counts(), stale_or_orphaned();
SELECT tags_rebuild();
SELECT plain_wrong_counts(), stale_or_orphaned(), wrong_in_a_group();

-- a context added later is distributed with its target, and counted
SELECT tags_add_context('blog.articles', 'series');
SELECT logicalrelid, column_to_column_name(logicalrelid, partkey) AS column,
       colocationid = (SELECT colocationid FROM pg_dist_partition
                       WHERE logicalrelid = 'blog.articles'::regclass) AS colocated
FROM pg_dist_partition WHERE logicalrelid::text LIKE 'blog.articles_series%'
ORDER BY logicalrelid::text COLLATE "C";
SELECT name FROM item_set_tags('blog.articles', 13, ARRAY['Part 1', 'python'],
                               context => 'series');
SELECT name, item_count FROM tag_item_counts('blog.articles', context => 'series');
SELECT id FROM items_by_tag(NULL::blog.articles, 'part-1', context => 'series');

-- the global vocabulary is not dropped under its targets
DROP TABLE blog.global_tag_synonyms;

-- tags_disable and DROP TABLE leave no table or shard of the target on any
-- node; the global vocabulary stays, with its tags
SELECT tags_disable('blog.pages');
DROP TABLE blog.articles CASCADE;
SELECT count(*) FROM tag_targets WHERE target::text LIKE 'blog.%';
SELECT logicalrelid FROM pg_dist_partition WHERE logicalrelid::text LIKE 'blog.%'
ORDER BY logicalrelid::text COLLATE "C";
-- (each table once, its shards named as it is)
SELECT nodeport, result FROM run_command_on_workers($$
    SELECT string_agg(DISTINCT regexp_replace(c.relname, '_[0-9]+$', ''), ', ')
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'blog' AND c.relkind = 'r'$$)
ORDER BY nodeport;
SELECT nodeport, result FROM run_command_on_workers($$
    SELECT count(*) FROM tag_targets WHERE target::text LIKE 'blog.%'$$)
ORDER BY nodeport;
