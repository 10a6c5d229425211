-- Tenants and targets (1.3) at their edges: what the application's own
-- tables may hold that the built-in ones never do (row-level security on
-- an association table or a vocabulary, triggers on a vocabulary, sort
-- columns of any type and typmod), and the tables dropped out of order.

TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;
\set SHOW_CONTEXT never
SET timezone = 'UTC';

CREATE TABLE te_docs (
    account_id  bigint NOT NULL,
    id          bigint NOT NULL,
    price       numeric(10, 2),
    PRIMARY KEY (account_id, id)
);
SELECT tags_enable('te_docs', sort_column => 'price', tenant_column => 'account_id');
INSERT INTO te_docs VALUES (1, 1, 12.50), (1, 2, NULL), (1, 3, 99999999.99),
                           (2, 1, 1.00);
SELECT name FROM item_set_tags('te_docs', 1, ARRAY['Shared', 'One'], tenant => 1);
SELECT name FROM item_set_tags('te_docs', 2, ARRAY['Shared'], tenant => 1);
SELECT name FROM item_set_tags('te_docs', 3, ARRAY['Shared', 'Dear'], tenant => 1);
SELECT name FROM item_set_tags('te_docs', 1, ARRAY['Shared'], tenant => 2);

-- a numeric(10, 2) sort column that may be NULL: the copies have no
-- typmod, so an item without a price is copied as -infinity, and listed
-- after every priced one
SELECT data_type, numeric_precision FROM information_schema.columns
WHERE table_name = 'te_docs_tags' AND column_name = 'item_sort';
SELECT id, price FROM items_by_tag(NULL::te_docs, 'shared', tenant => 1);
SELECT item_id, item_sort FROM te_docs_tags ORDER BY tenant, item_sort DESC, item_id;

-- items_related takes the row's tenant; tags.tenant set to another one is
-- refused like an argument (22023), the same one is fine
BEGIN;
SET LOCAL tags.tenant = '2';
SELECT * FROM items_related((SELECT d FROM te_docs d WHERE account_id = 1 AND id = 1));
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SET LOCAL tags.tenant = '1';
SELECT (r.item).id, r.shared_tags
FROM items_related((SELECT d FROM te_docs d WHERE account_id = 1 AND id = 1)) r;
ROLLBACK;

-- a tag moved to another tenant by a direct write is held to that tenant's
-- rules: its name may not be a synonym there, nor another tag's name
SELECT name FROM tags_get_or_create(ARRAY['Loose'], target => 'te_docs', tenant => 1);
SELECT name FROM tag_add_synonym('loose', 'shared', target => 'te_docs', tenant => 2);
UPDATE tenant_tags SET tenant = 2 WHERE tenant = 1 AND name = 'loose';
\echo :LAST_ERROR_SQLSTATE
SELECT tag_remove_synonym('loose', target => 'te_docs', tenant => 2);
SELECT name FROM tags_get_or_create(ARRAY['Loose'], target => 'te_docs', tenant => 2);
UPDATE tenant_tags SET tenant = 2 WHERE tenant = 1 AND name = 'loose';
\echo :LAST_ERROR_SQLSTATE
-- with no such name in the other tenant, it moves, slug and all
DELETE FROM tenant_tags WHERE tenant = 2 AND name = 'loose';
UPDATE tenant_tags SET tenant = 2 WHERE tenant = 1 AND name = 'loose'
RETURNING tenant, name, slug;

-- a trigger on the vocabulary that skips a row: get-or-create reports the
-- name it could not create (55000) and writes nothing
CREATE FUNCTION te_no_secrets() RETURNS trigger LANGUAGE plpgsql AS
$$BEGIN IF NEW.name LIKE 'secret%' THEN RETURN NULL; END IF; RETURN NEW; END$$;
CREATE TRIGGER te_no_secrets BEFORE INSERT ON tenant_tags
FOR EACH ROW EXECUTE FUNCTION te_no_secrets();
SELECT name FROM item_set_tags('te_docs', 1, ARRAY['Fine', 'Secret plan'], tenant => 1);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS written FROM tenant_tags WHERE name IN ('fine', 'secret plan');
SELECT name FROM item_get_tags('te_docs', 1, tenant => 1);
-- a trigger that renames the row being created: 55000 too
CREATE OR REPLACE FUNCTION te_no_secrets() RETURNS trigger LANGUAGE plpgsql AS
$$BEGIN IF NEW.name LIKE 'secret%' THEN NEW.name := 'public'; END IF; RETURN NEW; END$$;
SELECT name FROM item_set_tags('te_docs', 1, ARRAY['Secret plan'], tenant => 1);
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER te_no_secrets ON tenant_tags;
DROP FUNCTION te_no_secrets();

-- row-level security on the association table hides tags' items from a
-- role: the counters do not answer for it (it counts what it sees), and
-- tags_prune, called by it, prunes no tag an item has
CREATE ROLE tags_edges_clerk;
GRANT SELECT ON te_docs TO tags_edges_clerk;
GRANT SELECT ON te_docs_tags TO tags_edges_clerk;
GRANT SELECT, UPDATE, DELETE ON tenant_tags TO tags_edges_clerk;
ALTER TABLE te_docs_tags ENABLE ROW LEVEL SECURITY;
CREATE POLICY te_docs_tags_cheap ON te_docs_tags USING (item_sort < 100);
SELECT name FROM tags_get_or_create(ARRAY['Unused'], target => 'te_docs', tenant => 1);
SET ROLE tags_edges_clerk;
SELECT name, item_count FROM tag_item_counts('te_docs', tenant => 1);
SELECT tags_prune(target => 'te_docs', tenant => 1) AS pruned;
RESET ROLE;
-- unused went; dear, on item 3 only (hidden from the clerk, but there),
-- stayed, and so did tenant 2's tags
SELECT tenant, name FROM tenant_tags ORDER BY 1, 2;
SELECT name, item_count FROM tag_item_counts('te_docs', tenant => 1);
-- with a policy on the vocabulary too the counters do not answer
ALTER TABLE te_docs_tags DISABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_tags ENABLE ROW LEVEL SECURITY;
CREATE POLICY te_tags_some ON tenant_tags USING (name <> 'one');
SET ROLE tags_edges_clerk;
SELECT name, item_count FROM tag_item_counts('te_docs', tenant => 1);
RESET ROLE;
ALTER TABLE tenant_tags DISABLE ROW LEVEL SECURITY;

-- a transaction that writes the tags of many tenants (a restore, a bulk
-- load) locks the whole vocabulary once past 64 tenants, not each tenant
-- on: 20 000 tenants in one statement fit in the lock table, as do
-- get-or-creates in 200 tenants; a few tenants' writes keep their own locks
BEGIN;
SELECT count(*) FROM generate_series(1, 3) AS t,
     tags_get_or_create(ARRAY['few'], target => 'te_docs', tenant => 100 + t);
SELECT count(*) AS tenant_locks FROM pg_locks
WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND mode = 'ShareLock';
INSERT INTO tenant_tags (tenant, name)
SELECT 1000 + i, 'bulk' FROM generate_series(1, 20000) AS i;
SELECT count(*) FROM generate_series(1, 200) AS t,
     tags_get_or_create(ARRAY['many'], target => 'te_docs', tenant => 30000 + t);
SELECT count(*) <= 80 AS few_locks FROM pg_locks
WHERE locktype = 'advisory' AND pid = pg_backend_pid();
SELECT count(*) AS bulk, count(DISTINCT slug) AS slugs FROM tenant_tags WHERE name = 'bulk';
ROLLBACK;

-- a vocabulary a target uses cannot be dropped (2BP01); once its targets
-- are gone it can, and is forgotten
CREATE TABLE te_other (account_id bigint NOT NULL, id bigint NOT NULL,
                       PRIMARY KEY (account_id, id));
SELECT tags_enable('te_other', tenant_column => 'account_id');
SELECT count(*) AS targets_of_vocabulary FROM tag_targets
WHERE vocabulary = (SELECT vocabulary FROM tag_targets WHERE target = 'te_docs'::regclass);
DROP TABLE te_docs CASCADE;
DROP TABLE tenant_tags CASCADE;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS vocabularies FROM tag_vocabularies;
SELECT target FROM tag_targets WHERE NOT builtin;
DROP TABLE te_other CASCADE;
DROP TABLE tenant_tags, tenant_tag_synonyms, tenant_tag_slug_aliases;
SELECT count(*) AS vocabularies FROM tag_vocabularies;
SELECT count(*) AS targets FROM tag_targets WHERE NOT builtin;

-- a uuid key sorted by itself: a direct write for an item that does not
-- exist is reported by the foreign key (23503)
CREATE TABLE te_notes (id uuid PRIMARY KEY);
SELECT tags_enable('te_notes');
SELECT name FROM tags_get_or_create(ARRAY['note']);
INSERT INTO te_notes_tags (item_id, tag_id)
SELECT '20000000-0000-0000-0000-000000000001', id FROM tags WHERE name = 'note';
\echo :LAST_ERROR_SQLSTATE
-- a text key sorted by itself, the same
CREATE TABLE te_codes (code text PRIMARY KEY);
SELECT tags_enable('te_codes');
INSERT INTO te_codes_tags (item_id, tag_id)
SELECT 'no such code', id FROM tags WHERE name = 'note';
\echo :LAST_ERROR_SQLSTATE
DROP TABLE te_notes, te_codes CASCADE;

-- the writers fold each tenant's pending deltas, on average once per
-- tags.fold_every of them (50 here): in 600 rounds of one call with one
-- new tag in tenant 1 and one with 20 in tenant 2, tenant 1's deltas are
-- folded too (with one count of deltas for every tenant, each fold went to
-- the tenant whose call reached it, 2 in every one, and tenant 1's 600
-- deltas stayed pending, for every count of tenant 1 to read)
CREATE TABLE te_folds (account integer NOT NULL, id integer NOT NULL,
                       PRIMARY KEY (account, id));
SELECT tags_enable('te_folds', tenant_column => 'account');
INSERT INTO te_folds SELECT a, i FROM generate_series(1, 2) AS a, generate_series(1, 600) AS i;
SET tags.fold_every = 50;
DO $$
BEGIN
    FOR i IN 1 .. 600 LOOP
        PERFORM item_set_tags('te_folds', i, ARRAY['one ' || i], tenant => 1);
        PERFORM item_set_tags('te_folds', i,
            ARRAY(SELECT 'many ' || i || ' ' || j FROM generate_series(1, 20) AS j),
            tenant => 2);
    END LOOP;
END
$$;
RESET tags.fold_every;
SELECT w.tenant,
       (SELECT count(*) FROM te_folds_tag_count_deltas d WHERE d.tenant = w.tenant)
       < w.written AS some_folded
FROM (VALUES (1, 600), (2, 12000)) AS w(tenant, written) ORDER BY w.tenant;
-- and the counts, folded or not, are each tenant's
SELECT t.tenant, count(*) AS tags, sum(c.item_count) AS items
FROM generate_series(1, 2) AS t(tenant),
     LATERAL tag_item_counts('te_folds', 1000000, tenant => t.tenant) AS c
GROUP BY t.tenant ORDER BY t.tenant;
-- the functions a Citus coordinator sends to its workers (doc/citus.md)
-- refuse what is no shard of a target on a node of a Citus cluster, and
-- write nothing
SELECT * FROM item_write_on_shard('te_folds'::regclass, ROW(1, 1)::te_folds,
                                  ARRAY['x'], NULL, 's', 100);
SELECT * FROM items_page_on_shard('tenant_tags'::regclass,
                                  (SELECT t FROM tenant_tags t LIMIT 1),
                                  NULL::te_folds, 0, 10, NULL);
SELECT name FROM item_get_tags('te_folds', 1, tenant => 1);
DROP TABLE te_folds CASCADE;
DROP TABLE tenant_tags, tenant_tag_synonyms, tenant_tag_slug_aliases;
DROP ROLE tags_edges_clerk;
