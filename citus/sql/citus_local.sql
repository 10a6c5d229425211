-- With Citus loaded, the built-in posts and a target Citus does not hold
-- work as on a single server; a target distributed after tags_enable()
-- is refused, never left silently wrong

INSERT INTO posts (id, title, status) VALUES (1, 'one', 'published'), (2, 'two', 'published');
SELECT name FROM post_set_tags(1, ARRAY['Python', 'Citus']);
SELECT name FROM post_set_tags(2, ARRAY['python']);
SELECT name, post_count FROM tag_counts(5);
SELECT id, title FROM posts_by_tag('python');

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
