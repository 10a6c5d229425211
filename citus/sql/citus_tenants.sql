-- A tenant target on Citus: distributed by its tenant column, as Citus'
-- documentation sets up a multi-tenant application, on a coordinator and
-- two workers (scripts/test-citus.sh, which created the extension)
CREATE SCHEMA app;
CREATE TABLE app.articles (
    account_id bigint NOT NULL,
    id bigint NOT NULL,
    title text,
    status text NOT NULL DEFAULT 'published',
    published_at timestamptz,
    PRIMARY KEY (account_id, id)
);
SELECT create_distributed_table('app.articles', 'account_id');

-- tags_enable distributes what it makes by the tenant column, colocated
-- with the target
SELECT tags_enable('app.articles', $$status = 'published'$$, 'published_at',
                   tenant_column => 'account_id', contexts => ARRAY['skills']);
SELECT logicalrelid, partmethod,
       column_to_column_name(logicalrelid, partkey) AS column,
       colocationid = (SELECT colocationid FROM pg_dist_partition
                       WHERE logicalrelid = 'app.articles'::regclass) AS colocated
FROM pg_dist_partition ORDER BY logicalrelid::text COLLATE "C";

-- every worker knows the target, as its triggers fire there
SELECT nodeport, result FROM run_command_on_workers($$
    SELECT string_agg(target || ' ' || association || ' ' || tenant_column, ', ')
    FROM tag_targets WHERE NOT builtin$$) ORDER BY nodeport;

-- shapes that could not be exact are refused
CREATE TABLE app.notes (id bigint PRIMARY KEY, account_id bigint NOT NULL);
SELECT create_distributed_table('app.notes', 'id');
SELECT tags_enable('app.notes', tenant_column => 'account_id');
CREATE TABLE app.kinds (id bigint PRIMARY KEY);
SELECT create_reference_table('app.kinds');
SELECT tags_enable('app.kinds');
-- a local table of the schema cannot share the distributed vocabulary
CREATE TABLE app.local_notes (account_id bigint NOT NULL, id bigint NOT NULL,
                              PRIMARY KEY (account_id, id));
SELECT tags_enable('app.local_notes', tenant_column => 'account_id');
-- nothing of the refused calls is left
SELECT count(*) FROM tag_targets WHERE target::text LIKE 'app.%notes' OR target::text = 'app.kinds';

-- two tenants with the same names, each with its own tags
INSERT INTO app.articles (account_id, id, title, published_at)
SELECT a, i, 'article ' || i, '2026-01-01'::timestamptz + i * interval '1 day'
FROM generate_series(1, 2) a, generate_series(1, 12) i;
UPDATE app.articles SET published_at = NULL WHERE id = 12;
SELECT count(*) FROM (
    SELECT item_set_tags('app.articles', i, ARRAY['Python', 'SQL', 'tag ' || (i % 3)],
                         tenant => a)
    FROM generate_series(1, 2) a, generate_series(1, 12) i) s;
SELECT name, slug, item_count FROM tag_item_counts('app.articles', tenant => 1);
SELECT name, slug, item_count FROM tag_item_counts('app.articles', tenant => 2);
-- the same name is one tag per tenant, each with its own id
SELECT count(DISTINCT id) FROM app.tenant_tags WHERE name = 'python';

-- every tenant-scoped call runs on the one shard group of the tenant
SET citus.enable_stat_counters = on;
CREATE FUNCTION shard_counts(OUT single boolean, OUT multi bigint) AS $$
    SELECT query_execution_single_shard > 0, query_execution_multi_shard
    FROM citus_stat_counters()
    WHERE database_id = (SELECT oid FROM pg_database
                         WHERE datname = current_database())
$$ LANGUAGE sql;
SELECT citus_stat_counters_reset();
SELECT name FROM item_set_tags('app.articles', 3, ARRAY['Rust', 'Python'], tenant => 1);
SELECT name FROM item_add_tags('app.articles', 3, ARRAY['Go'], tenant => 1);
SELECT name FROM item_remove_tags('app.articles', 3, ARRAY['rust'], tenant => 1);
SELECT name FROM item_get_tags('app.articles', 3, tenant => 1);
SELECT id, published_at FROM items_by_tag(NULL::app.articles, 'python', 1, 3, tenant => 1);
-- (the row after which, as the application read it)
SELECT id FROM items_by_tag_after(NULL::app.articles, 'python',
                                  ROW(1, 10, 'article 10', 'published',
                                      '2026-01-11 00:00+00')::app.articles,
                                  3, tenant => 1);
SELECT id FROM items_tagged(NULL::app.articles, ARRAY['sql', 'tag 1'], 'all', tenant => 1);
SELECT tag_item_count('app.articles', 'python', tenant => 1);
SELECT name, item_count FROM tag_item_counts('app.articles', 2, tenant => 1);
SELECT name FROM tags_search('ta', target => 'app.articles', tenant => 1);
SELECT name, shared_posts FROM tags_related('tag-1', target => 'app.articles', tenant => 1);
SELECT (item).id, shared_tags FROM items_related(
    ROW(1, 4, 'article 4', 'published', '2026-01-05 00:00+00')::app.articles,
    3, tenant => 1);
SELECT name FROM tags_get_or_create(ARRAY['Elixir', 'python'], target => 'app.articles', tenant => 1);
SELECT * FROM shard_counts();

-- a write and a page are one statement each: a SELECT of the item's (or
-- the tag's) row that Citus sends whole to the worker that holds the
-- tenant, where the call's statements run on the shards.  A write that
-- names a new tag comes back for the coordinator to make it (its id is
-- drawn there), then is sent again; a page of an old slug is read as on a
-- single server.
CREATE FUNCTION single_shard_statements() RETURNS bigint AS $$
    SELECT query_execution_single_shard FROM citus_stat_counters()
    WHERE database_id = (SELECT oid FROM pg_database
                         WHERE datname = current_database())
$$ LANGUAGE sql;
SELECT citus_stat_counters_reset();
SELECT name FROM item_set_tags('app.articles', 5, ARRAY['Python', 'SQL'], tenant => 1);
SELECT single_shard_statements() AS set_existing;
SELECT citus_stat_counters_reset();
SELECT name FROM item_add_tags('app.articles', 5, ARRAY['go'], tenant => 1);
SELECT name FROM item_remove_tags('app.articles', 5, ARRAY['go'], tenant => 1);
SELECT single_shard_statements() AS add_and_remove;
SELECT citus_stat_counters_reset();
SELECT id FROM items_by_tag(NULL::app.articles, 'python', 1, 3, tenant => 1);
SELECT single_shard_statements() AS page;
-- a later page too, after the last row of the page before
SELECT citus_stat_counters_reset();
SELECT id FROM items_by_tag_after(NULL::app.articles, 'python',
                                  ROW(1, 10, 'article 10', 'published',
                                      '2026-01-11 00:00+00')::app.articles,
                                  3, tenant => 1);
SELECT single_shard_statements() AS page_after;
-- an item's tags and a tag's count too (the item has tags: the single
-- server's statements would be one for its tags, but two for a count, and
-- two for an item without tags, below)
SELECT citus_stat_counters_reset();
SELECT name FROM item_get_tags('app.articles', 5, tenant => 1);
SELECT single_shard_statements() AS get;
SELECT citus_stat_counters_reset();
SELECT tag_item_count('app.articles', 'python', tenant => 1);
SELECT single_shard_statements() AS count;
-- walked page by page, each after the last row of the one before, the
-- pages are the tag's items in items_by_tag()'s order, the row without a
-- sort value (article 12) last, in each tenant
CREATE FUNCTION walk_after(tenant bigint, slug text, size integer)
RETURNS bigint[] AS $$
DECLARE
    last app.articles;
    row app.articles;
    ids bigint[] := '{}';
    n integer;
BEGIN
    FOR pages IN 1 .. 20 LOOP
        n := 0;
        FOR row IN SELECT * FROM items_by_tag_after(NULL::app.articles, slug, last,
                                                    size, tenant => tenant)
        LOOP
            ids := ids || row.id;
            last := row;
            n := n + 1;
        END LOOP;
        EXIT WHEN n < size;
    END LOOP;
    RETURN ids;
END $$ LANGUAGE plpgsql;
SELECT t, walk_after(t, 'python', 5) AS walked,
       walk_after(t, 'python', 5) = ARRAY(SELECT id FROM items_by_tag(
           NULL::app.articles, 'python', 1, 100, tenant => t)) AS same
FROM generate_series(1, 2) t;
-- after a row without a sort value: the rows without one, lower keys
SELECT id FROM items_by_tag_after(NULL::app.articles, 'python',
                                  ROW(1, 13, 'x', 'published', NULL)::app.articles,
                                  3, tenant => 1);
-- (the worker's error, which names the worker)
\set VERBOSITY terse
SELECT id FROM items_by_tag_after(NULL::app.articles, 'python',
                                  ROW(1, NULL, 'x', 'published', NULL)::app.articles,
                                  3, tenant => 1);
\set VERBOSITY default
SELECT citus_stat_counters_reset();
SELECT name FROM item_set_tags('app.articles', 5, ARRAY['Python', 'Haskell'], tenant => 1);
SELECT single_shard_statements() > 2 AS set_new_name_comes_back;
SELECT name FROM item_get_tags('app.articles', 5, tenant => 1);
SELECT name FROM item_get_tags('app.articles', 5, tenant => 2);
SELECT count(*) FROM item_set_tags('app.articles', 5, ARRAY['Python', 'SQL', 'tag 2'], tenant => 1);
-- the worker's part of a write is the coordinator's transaction's: undone
-- with it, even when the statement that made the call fails after it
-- returned, and seen by the transaction's later reads of any shard
SELECT count(*) FROM app.articles_tags WHERE item_id = 6;
BEGIN;
SELECT name FROM item_set_tags('app.articles', 6, ARRAY['go'], tenant => 1);
SELECT count(*) FROM app.articles_tags WHERE item_id = 6;
ROLLBACK;
SELECT name::integer FROM item_set_tags('app.articles', 6, ARRAY['go'], tenant => 1);
SELECT name FROM item_get_tags('app.articles', 6, tenant => 1);
SELECT count(*) FROM app.articles_tags WHERE item_id = 6;
-- what the worker's function is given is checked there
SELECT * FROM item_write_on_shard('app.articles'::regclass, ROW(1, 2), ARRAY['x'], NULL, 's', 100);
SELECT * FROM items_page_on_shard('app.tenant_tags'::regclass, ROW(1, 2), NULL::app.articles, 0, 10, NULL);
SELECT * FROM item_write_on_shard('app.articles'::regclass, ROW(1, 2), ARRAY['x'], NULL, NULL, 100);
SELECT * FROM items_page_on_shard(0, ROW(1, 2), NULL::app.articles, 0, 10, NULL);
SELECT * FROM items_page_on_shard(0, ROW(1, 2),
    ROW(1, 7, 'x', 'published', NULL)::app.articles, 3, 10, NULL);
SELECT item_tags_on_shard(NULL, ROW(1, 2), NULL);
SELECT item_tags_on_shard('app.articles'::regclass,
    ROW(1, 7, 'x', 'published', NULL)::app.articles, NULL);
SELECT tag_count_on_shard(NULL, ROW(1, 2), NULL::app.articles, NULL);
SELECT tag_count_on_shard(0, ROW(1, 2), NULL::app.articles, NULL);
SELECT tag_count_on_shard(0, ROW(1, 2), 1, NULL);
SELECT * FROM item_write_on_shard(0, ROW(1, 2), ARRAY['x'], NULL, 's', 100);
SELECT * FROM item_write_on_shard('app.articles'::regclass,
    ROW(1, 7, 'x', 'published', NULL)::app.articles, ARRAY['x'], NULL, 's', 100);
-- on each shard, as the router would send it: a row without a key or a
-- tenant is refused, not written
SELECT DISTINCT success, result FROM run_command_on_placements('app.articles', $$
    SELECT count(*) FROM item_write_on_shard('%1$s'::regclass,
        ROW(1, NULL, 'x', 'published', NULL)::%1$s, ARRAY['x'], NULL, 's', 100)$$);
SELECT DISTINCT success, result FROM run_command_on_placements('app.articles', $$
    SELECT count(*) FROM item_write_on_shard('%1$s'::regclass,
        ROW(NULL, 7, 'x', 'published', NULL)::%1$s, ARRAY['x'], NULL, 's', 100)$$);

-- writes that leave an item without tags, and an empty page, are one
-- statement too
SELECT count(*) FROM item_set_tags('app.articles', 7, ARRAY[]::text[], tenant => 1);
SELECT count(*) FROM item_set_tags('app.articles', 7, NULL, tenant => 1);
SELECT count(*) FROM item_add_tags('app.articles', 7, ARRAY[]::text[], tenant => 1);
SELECT count(*) FROM item_remove_tags('app.articles', 7, ARRAY['python'], tenant => 1);
SELECT name FROM item_add_tags('app.articles', 7, ARRAY['python'], tenant => 1);
SELECT count(*) FROM item_remove_tags('app.articles', 7, ARRAY['python'], tenant => 1);
SELECT citus_stat_counters_reset();
SELECT count(*) FROM items_by_tag(NULL::app.articles, 'python', 100, 10, tenant => 1);
SELECT single_shard_statements() AS empty_page;
SELECT citus_stat_counters_reset();
SELECT count(*) FROM item_get_tags('app.articles', 7, tenant => 1);
SELECT single_shard_statements() AS get_of_no_tags;
SELECT name FROM item_get_tags('app.articles', 99, tenant => 1);
SELECT name FROM item_get_tags('app.articles', 7, tenant => 1, context => 'skills');
SELECT count(*) FROM item_set_tags('app.articles', 7, ARRAY['Python', 'SQL', 'tag 1'], tenant => 1);
-- the caller's limit of tags holds on the worker, where the setting is not
SET tags.max_tags_per_post = 2;
\set VERBOSITY terse
SELECT count(*) FROM item_add_tags('app.articles', 7, ARRAY['go'], tenant => 1);
\set VERBOSITY default
RESET tags.max_tags_per_post;
SELECT name FROM item_get_tags('app.articles', 7, tenant => 1);

-- tag care within one tenant leaves the other untouched
CREATE TABLE tenant_two_before AS
SELECT t.*, (SELECT array_agg(item_id ORDER BY item_id) FROM app.articles_tags a
             WHERE a.tenant = 2 AND a.tag_id = t.id) AS items
FROM app.tenant_tags t WHERE tenant = 2;
SELECT citus_stat_counters_reset();
SELECT name, slug FROM tag_rename('tag-1', 'Tag One', target => 'app.articles', tenant => 1);
SELECT (tag_add_synonym('tag two', 'tag-2', target => 'app.articles', tenant => 1)).slug;
SELECT tag_merge('tag-0', 'tag-one', target => 'app.articles', tenant => 1);
SELECT tags_prune(target => 'app.articles', tenant => 1);
SELECT tag_remove_synonym('tag two', target => 'app.articles', tenant => 1);
SELECT * FROM shard_counts();
SELECT name, slug, item_count FROM tag_item_counts('app.articles', tenant => 1);
SELECT count(*) AS changed FROM (
    (SELECT t.*, (SELECT array_agg(item_id ORDER BY item_id) FROM app.articles_tags a
                  WHERE a.tenant = 2 AND a.tag_id = t.id) AS items
     FROM app.tenant_tags t WHERE tenant = 2
     EXCEPT SELECT * FROM tenant_two_before)
    UNION ALL
    (SELECT * FROM tenant_two_before
     EXCEPT SELECT t.*, (SELECT array_agg(item_id ORDER BY item_id) FROM app.articles_tags a
                         WHERE a.tenant = 2 AND a.tag_id = t.id)
     FROM app.tenant_tags t WHERE tenant = 2)) d;

-- a page of an old slug (the worker finds no tag of it, and the page is
-- read as on a single server), of a slug of no tag
SELECT id FROM items_by_tag(NULL::app.articles, 'tag-0', 1, 3, tenant => 1);
SELECT id FROM items_by_tag(NULL::app.articles, 'tag-0', 1, 3, tenant => 2);
SELECT id FROM items_by_tag(NULL::app.articles, 'no-such-tag', 1, 3, tenant => 1);
SELECT id FROM items_by_tag_after(NULL::app.articles, 'tag-0',
                                  ROW(1, 9, 'x', 'published', '2026-01-10 00:00+00')::app.articles,
                                  3, tenant => 1);
SELECT id FROM items_by_tag_after(NULL::app.articles, 'no-such-tag', NULL, 3, tenant => 1);
SELECT tag_item_count('app.articles', 'tag-0', tenant => 1),
       tag_item_count('app.articles', 'tag-one', tenant => 1);
SELECT tag_item_count('app.articles', 'no-such-tag', tenant => 1);

-- contexts: lists of their own, with their own counts
SELECT name FROM item_set_tags('app.articles', 1, ARRAY['Java'], tenant => 2, context => 'skills');
SELECT name, item_count FROM tag_item_counts('app.articles', tenant => 2, context => 'skills')
WHERE item_count > 0;
SELECT tag_item_count('app.articles', 'java', tenant => 2);
SELECT id FROM items_by_tag(NULL::app.articles, 'java', 1, 3, tenant => 2, context => 'skills');
SELECT name FROM item_get_tags('app.articles', 1, tenant => 2, context => 'skills');
SELECT tag_item_count('app.articles', 'java', tenant => 2, context => 'skills');
SELECT id FROM items_by_tag(NULL::app.articles, 'java', 1, 3, tenant => 2);

-- the application's own writes to the target fire the triggers on the
-- workers' shards: copies and counts follow
UPDATE app.articles SET status = 'draft' WHERE account_id = 2 AND id IN (1, 2);
DELETE FROM app.articles WHERE account_id = 2 AND id = 3;
UPDATE app.articles SET published_at = '2027-01-01' WHERE account_id = 2 AND id = 4;
SELECT id FROM items_by_tag(NULL::app.articles, 'python', 1, 3, tenant => 2);
SELECT tag_item_count('app.articles', 'java', tenant => 2, context => 'skills');

-- every count equals a live GROUP BY, every copy its item, no association
-- is orphaned, before and after folding
CREATE FUNCTION wrong_counts() RETURNS bigint AS $$
    SELECT count(*) FROM (
        SELECT c.tenant, c.id, c.item_count
        FROM generate_series(1, 2) g(t),
             LATERAL (SELECT g.t AS tenant, id, item_count
                      FROM tag_item_counts('app.articles', tenant => g.t)) c
        WHERE c.item_count > 0
        EXCEPT
        SELECT t.tenant, t.id, count(a.item_id) FILTER (WHERE ar.status = 'published')
        FROM app.tenant_tags t
        LEFT JOIN app.articles_tags a ON a.tenant = t.tenant AND a.tag_id = t.id
        LEFT JOIN app.articles ar ON ar.account_id = a.tenant AND ar.id = a.item_id
        WHERE t.tenant IN (1, 2)
        GROUP BY t.tenant, t.id
        HAVING count(a.item_id) FILTER (WHERE ar.status = 'published') > 0) d
$$ LANGUAGE sql;
SELECT wrong_counts();
SELECT count(*) AS stale_copies FROM app.articles_tags a
JOIN app.articles ar ON ar.account_id = a.tenant AND ar.id = a.item_id
WHERE a.item_visible IS DISTINCT FROM (ar.status = 'published')
   OR a.item_sort IS DISTINCT FROM coalesce(ar.published_at, '-infinity');
SELECT count(*) AS orphans FROM app.articles_tags a
WHERE NOT EXISTS (SELECT FROM app.articles ar
                  WHERE ar.account_id = a.tenant AND ar.id = a.item_id);
SELECT tags_fold_counts() > 0 AS folded;
SELECT wrong_counts();
SELECT tags_rebuild();
SELECT wrong_counts();

-- a tenant call without a tenant is an error, never all tenants
SELECT * FROM tag_item_counts('app.articles');

-- a target whose table had a column dropped before Citus made its shards,
-- whose columns are then numbered apart from the table's: the worker reads
-- the row it is given, of the table's type, by the columns' names
CREATE TABLE app.notes2 (account_id bigint NOT NULL, draft text, id bigint NOT NULL,
                         published_at timestamptz, PRIMARY KEY (account_id, id));
ALTER TABLE app.notes2 DROP COLUMN draft;
SELECT create_distributed_table('app.notes2', 'account_id', colocate_with => 'app.articles');
SELECT tags_enable('app.notes2', NULL, 'published_at', tenant_column => 'account_id');
INSERT INTO app.notes2 SELECT a, i, '2026-01-01'::timestamptz + i * interval '1 day'
FROM generate_series(1, 2) a, generate_series(1, 6) i;
UPDATE app.notes2 SET published_at = NULL WHERE id = 6;
SELECT count(*) FROM (
    SELECT item_set_tags('app.notes2', i, ARRAY['note'], tenant => a)
    FROM generate_series(1, 2) a, generate_series(1, 6) i) s;
SELECT name FROM item_get_tags('app.notes2', 3, tenant => 1);
SELECT id FROM items_by_tag_after(NULL::app.notes2, 'note',
                                  ROW(1, 4, '2026-01-05 00:00+00')::app.notes2, 2, tenant => 1);
SELECT id FROM items_by_tag_after(NULL::app.notes2, 'note',
                                  ROW(1, 7, NULL)::app.notes2, 2, tenant => 1);
SELECT id FROM items_by_tag_after(NULL::app.notes2, 'note',
                                  ROW(1, 6, NULL)::app.notes2, 2, tenant => 1);

-- the page's statement is a query Citus plans on its fast path, the shard
-- found when it runs: its one generic plan serves every tenant, planned
-- once a session (a new one here)
\c
SET citus.enable_stat_counters = on;
SET client_min_messages = debug2;
SELECT count(*) FROM items_by_tag(NULL::app.articles, 'python', 1, 3, tenant => 1);
SELECT citus_stat_counters_reset();
SELECT id FROM items_by_tag(NULL::app.articles, 'python', 1, 3, tenant => 2);
RESET client_min_messages;
SELECT single_shard_statements() AS page_of_tenant_2;
-- with Citus' fast path turned off, the page's statement is planned for
-- each call, as the others are; a plan made before is kept
\c
SET citus.enable_fast_path_router_planner = off;
SELECT count(*) FROM items_by_tag(NULL::app.articles, 'python', 1, 3, tenant => 1);
SELECT count(*) FROM items_by_tag(NULL::app.articles, 'python', 1, 3, tenant => 2);
\c
SELECT count(*) FROM items_by_tag(NULL::app.articles, 'python', 1, 3, tenant => 1);
SET citus.enable_fast_path_router_planner = off;
SELECT count(*) FROM items_by_tag(NULL::app.articles, 'python', 1, 3, tenant => 2);
