-- With Citus loaded, the built-in posts and a target Citus does not hold
-- work as on a single server; a target distributed after tags_enable()
-- is refused, never left silently wrong

INSERT INTO posts (id, title, status) VALUES (1, 'one', 'published'), (2, 'two', 'published');
SELECT name FROM post_set_tags(1, ARRAY['Python', 'Citus']);
SELECT name FROM post_set_tags(2, ARRAY['python']);
SELECT name, post_count FROM tag_counts(5);
SELECT id, title FROM posts_by_tag('python');
-- every function of posts and of the shared vocabulary, as on a single
-- server: the tables are the coordinator's own, Citus plans none of them
SELECT name FROM post_add_tags(2, ARRAY['SQL', 'Citus']);
SELECT name FROM post_remove_tags(2, ARRAY['citus']);
SELECT name FROM post_get_tags(2);
SELECT id FROM posts_by_tag_after('python', (SELECT created_at FROM posts WHERE id = 2), 2, 10);
SELECT id FROM posts_tagged(ARRAY['python', 'sql']);
SELECT id, shared_tags FROM posts_related(1);
SELECT tag_post_count('python');
SELECT name, shared_posts FROM tags_related('python');
SELECT name FROM tags_search('ci');
SELECT tag_normalize('  Citus  Data '), tag_slugify('Citus Data');
SELECT name FROM tags_get_or_create(ARRAY['Postgres', 'python']);
SELECT (tag_add_synonym('pg', 'postgres')).name;
SELECT name FROM post_set_tags(1, ARRAY['PG', 'python', 'citus']);
SELECT tag_remove_synonym('pg');
SELECT name, slug FROM tag_rename('citus', 'Citus Data');
SELECT tag_merge('sql', 'python');
SELECT name FROM post_get_tags(2);
SELECT tags_prune();
SELECT name, post_count FROM tag_counts();
SELECT tags_fold_counts() >= 0 AS folded;
SELECT tags_rebuild();
SELECT name, post_count FROM tag_counts(10);
SELECT count(*) AS citus_tables FROM pg_dist_partition
WHERE logicalrelid::text NOT LIKE 'app.%';

CREATE SCHEMA loc;
CREATE TABLE loc.pages (id bigint PRIMARY KEY, status text NOT NULL);
SELECT tags_enable('loc.pages', $$status = 'live'$$);
INSERT INTO loc.pages VALUES (1, 'live'), (2, 'live');
SELECT name FROM item_set_tags('loc.pages', 1, ARRAY['python', 'local']);
SELECT name, item_count FROM tag_item_counts('loc.pages');

-- distributed after tags_enable() (Citus takes a table with triggers only
-- when told to)
SELECT create_distributed_table('loc.pages', 'id');
SET citus.enable_unsafe_triggers = on;
SELECT create_distributed_table('loc.pages', 'id');
RESET citus.enable_unsafe_triggers;
SELECT name FROM item_set_tags('loc.pages', 2, ARRAY['python']);
SELECT name, item_count FROM tag_item_counts('loc.pages');
-- the application's write fires the trigger on a worker's shard
UPDATE loc.pages SET status = 'gone' WHERE id = 1;
-- the way out the hint names
SELECT tags_disable('loc.pages');
SELECT tags_enable('loc.pages');
-- which tags it as a target distributed by its key, from the global
-- vocabulary of its schema (citus_plain)
SELECT name FROM item_set_tags('loc.pages', 2, ARRAY['python']);
SELECT name, item_count FROM tag_item_counts('loc.pages');
SELECT tags::text, tenant_type FROM tag_vocabularies WHERE tags::text LIKE 'loc.%';
