-- tags_disable, and DROP TABLE of a distributed target, leave nothing
-- behind on any node (runs after citus_tenants, in its database)
CREATE TABLE app.photos (
    account_id bigint NOT NULL,
    id bigint NOT NULL,
    PRIMARY KEY (account_id, id)
);
SELECT create_distributed_table('app.photos', 'account_id');
SELECT tags_enable('app.photos', tenant_column => 'account_id',
                   contexts => ARRAY['colors']);
INSERT INTO app.photos VALUES (1, 1), (2, 1);
SELECT name FROM item_set_tags('app.photos', 1, ARRAY['python', 'sky'], tenant => 1);
SELECT name FROM item_set_tags('app.photos', 1, ARRAY['red'], tenant => 2, context => 'colors');
-- a tenant's tag is one tag on all its targets
SELECT count(*) FROM app.tenant_tags WHERE tenant = 1 AND name = 'python';
-- a context added to a distributed target is distributed with it, and
-- known on every worker, whose triggers count it
SELECT tags_add_context('app.photos', 'moods');
SELECT logicalrelid, partmethod,
       column_to_column_name(logicalrelid, partkey) AS column,
       colocationid = (SELECT colocationid FROM pg_dist_partition
                       WHERE logicalrelid = 'app.photos'::regclass) AS colocated
FROM pg_dist_partition WHERE logicalrelid::text LIKE 'app.photos_moods%'
ORDER BY logicalrelid::text COLLATE "C";
SELECT name FROM item_set_tags('app.photos', 1, ARRAY['calm', 'sky'], tenant => 2, context => 'moods');
SELECT name, item_count FROM tag_item_counts('app.photos', tenant => 2, context => 'moods')
WHERE name IN ('calm', 'sky');
SELECT (SELECT count(*) FROM app.photos_moods_tags) AS associations,
       (SELECT sum(delta) FROM app.photos_moods_tag_count_deltas) AS deltas;
DELETE FROM app.photos WHERE account_id = 2 AND id = 1;
SELECT name, item_count FROM tag_item_counts('app.photos', tenant => 2, context => 'moods')
WHERE name IN ('calm', 'sky');
INSERT INTO app.photos VALUES (2, 1);

-- what each node has of the photos: registry rows, tables and shards
CREATE FUNCTION photos_everywhere() RETURNS TABLE (node text, result text) AS $f$
    SELECT 'coordinator',
           (SELECT count(*) FROM tag_targets WHERE target::text = 'app.photos') || ' '
           || (SELECT count(*) FROM tag_contexts WHERE target::text = 'app.photos') || ' '
           || (SELECT count(*) FROM pg_class WHERE relname LIKE 'photos%'
                 AND relnamespace = 'app'::regnamespace)
    UNION ALL
    SELECT nodeport::text, result FROM run_command_on_workers($$
        SELECT (SELECT count(*) FROM tag_targets WHERE target::text = 'app.photos') || ' '
               || (SELECT count(*) FROM tag_contexts WHERE target::text = 'app.photos') || ' '
               || (SELECT count(*) FROM pg_class WHERE relname LIKE 'photos%'
                     AND relnamespace = 'app'::regnamespace)$$)
    ORDER BY 1
$f$ LANGUAGE sql;
SELECT * FROM photos_everywhere();
SELECT tags_disable('app.photos');
SELECT * FROM photos_everywhere();
-- the vocabulary stays: articles use it
SELECT count(*) FROM app.tenant_tags WHERE tenant = 1 AND name = 'sky';

-- DROP TABLE ... CASCADE of a distributed target
SELECT tags_enable('app.photos', tenant_column => 'account_id',
                   contexts => ARRAY['colors']);
SELECT name FROM item_set_tags('app.photos', 1, ARRAY['sky'], tenant => 1);
SELECT * FROM photos_everywhere();
DROP TABLE app.photos CASCADE;
SELECT * FROM photos_everywhere();
SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'app.photos%';
