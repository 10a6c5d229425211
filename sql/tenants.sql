-- Tenants (1.3): a target with a tenant column tags each tenant's rows with
-- the tenant's own tags.  Two tenants holding the same names each get their
-- own tags, and each sees only its own tags, counts, searches, related tags
-- and items, and pages; tag care in one leaves the other's rows as they
-- were, byte for byte; every function is told the tenant, by argument or
-- setting, and refuses to run without one.

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;
-- (the errors' context is the statement text: keep it out)
\set SHOW_CONTEXT never
SET timezone = 'UTC';

-- the shape of a sharded multi-tenant schema: (tenant, id)
CREATE TABLE tn_articles (
    account_id      bigint NOT NULL,
    id              bigint NOT NULL,
    title           text NOT NULL,
    status          text NOT NULL DEFAULT 'published',
    published_at    timestamptz NOT NULL,
    PRIMARY KEY (account_id, id)
);
SELECT tags_enable('tn_articles', 'status = ''published''', 'published_at',
                   tenant_column => 'account_id');

-- what it made: a vocabulary keyed by the tenant, and an association table
-- and counters that carry it, with foreign keys on the whole key
SELECT tags::text, synonyms::text, slug_aliases::text, tenant_type
FROM tag_vocabularies;
SELECT target, tenant_column, vocabulary FROM tag_targets WHERE NOT builtin;
SELECT table_name, column_name, data_type, is_nullable
FROM information_schema.columns
WHERE table_schema = 'public'
  AND table_name IN ('tn_articles_tags', 'tn_articles_tag_counts',
                     'tn_articles_tag_count_deltas', 'tenant_tags')
ORDER BY table_name, ordinal_position;
SELECT conrelid::regclass AS "table", pg_get_constraintdef(oid)
FROM pg_constraint
WHERE conrelid IN ('tn_articles_tags'::regclass, 'tenant_tags'::regclass,
                   'tenant_tag_synonyms'::regclass,
                   'tenant_tag_slug_aliases'::regclass)
  AND contype IN ('p', 'u', 'f')
ORDER BY 1, 2;

-- two accounts with the same articles
INSERT INTO tn_articles (account_id, id, title, published_at)
SELECT a, i, 'account ' || a || ' article ' || i,
       timestamptz '2026-01-01' + i * interval '1 day'
FROM generate_series(1, 2) AS a, generate_series(1, 4) AS i;
UPDATE tn_articles SET status = 'draft' WHERE id = 4;

-- the same names in both: each tenant gets its own tags, the same slugs
SELECT name, slug FROM item_set_tags('tn_articles', 1, ARRAY['Python', 'SQL'], tenant => 1);
SELECT name, slug FROM item_set_tags('tn_articles', 2, ARRAY['python'], tenant => 1);
SELECT name, slug FROM item_set_tags('tn_articles', 1, ARRAY['PYTHON', 'Go'], tenant => 2);
SELECT name, slug FROM item_set_tags('tn_articles', 3, ARRAY['Go', 'Rust'], tenant => 2);
SELECT name, slug FROM item_set_tags('tn_articles', 4, ARRAY['Go'], tenant => 2);
SELECT tenant, name, slug FROM tenant_tags ORDER BY tenant, name;
SELECT count(DISTINCT id) AS python_ids FROM tenant_tags WHERE name = 'python';
-- and the shared tags have none of them
SELECT count(*) AS shared_tags FROM tags;

-- each tenant reads only its own: an item's tags (item 1 of each)
SELECT name FROM item_get_tags('tn_articles', 1, tenant => 1);
SELECT name FROM item_get_tags('tn_articles', 1, tenant => 2);
-- counts (item 4 of tenant 2 is a draft)
SELECT name, item_count FROM tag_item_counts('tn_articles', tenant => 1);
SELECT name, item_count FROM tag_item_counts('tn_articles', tenant => 2);
SELECT name, item_count FROM tag_item_counts('tn_articles', 1, tenant => 2);
SELECT tag_item_count('tn_articles', 'python', tenant => 1) AS python_1,
       tag_item_count('tn_articles', 'python', tenant => 2) AS python_2;
-- pages
SELECT account_id, id FROM items_by_tag(NULL::tn_articles, 'python', tenant => 1);
SELECT account_id, id FROM items_by_tag(NULL::tn_articles, 'python', tenant => 2);
SELECT account_id, id FROM items_by_tag_after(NULL::tn_articles, 'python',
    (SELECT a FROM tn_articles a WHERE account_id = 1 AND id = 2), tenant => 1);
SELECT account_id, id FROM items_tagged(NULL::tn_articles, ARRAY['python', 'sql'], tenant => 1);
SELECT account_id, id FROM items_tagged(NULL::tn_articles, ARRAY['go'], 'any', tenant => 2);
-- search (the other tenant's rust is not found) and related
SELECT id, name FROM tags_search('p', target => 'tn_articles', tenant => 1)
UNION ALL
SELECT id, name FROM tags_search('p', target => 'tn_articles', tenant => 2);
SELECT name FROM tags_search('r', target => 'tn_articles', tenant => 1);
SELECT name FROM tags_search('r', target => 'tn_articles', tenant => 2);
SELECT name, shared_posts FROM tags_related('python', target => 'tn_articles', tenant => 1);
SELECT name, shared_posts FROM tags_related('go', target => 'tn_articles', tenant => 2);
SELECT (r.item).account_id, (r.item).id, r.shared_tags
FROM items_related((SELECT a FROM tn_articles a WHERE account_id = 1 AND id = 1)) r;
SELECT (r.item).account_id, (r.item).id, r.shared_tags
FROM items_related((SELECT a FROM tn_articles a WHERE account_id = 2 AND id = 1)) r;
-- a tag of the other tenant does not exist here
SELECT tag_item_count('tn_articles', 'rust', tenant => 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM items_by_tag(NULL::tn_articles, 'rust', tenant => 1);
\echo :LAST_ERROR_SQLSTATE

-- the tenant as the application holds it: an integer, a bigint, a string,
-- an untyped parameter, or the setting tags.tenant
SELECT count(*) FROM item_get_tags('tn_articles', 1, tenant => 1::smallint);
SELECT count(*) FROM item_get_tags('tn_articles', 1, tenant => 1::bigint);
SELECT count(*) FROM item_get_tags('tn_articles', 1, tenant => '1');
PREPARE tn_get(unknown, unknown) AS
    SELECT name FROM item_get_tags('tn_articles', $1, tenant => $2);
EXECUTE tn_get('3', '2');
DEALLOCATE tn_get;
SELECT count(*) FROM item_get_tags('tn_articles', 1, 2, NULL);
BEGIN;
SET LOCAL tags.tenant = '2';
SELECT name FROM item_get_tags('tn_articles', 3);
-- an argument wins over the setting
SELECT name FROM item_get_tags('tn_articles', 3, tenant => 1);
COMMIT;
SHOW tags.tenant;

-- without a tenant: 22004, never all tenants
SELECT * FROM item_get_tags('tn_articles', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tag_item_counts('tn_articles');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM items_by_tag(NULL::tn_articles, 'python');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tags_search('p', target => 'tn_articles');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM item_set_tags('tn_articles', 1, ARRAY['leak']);
\echo :LAST_ERROR_SQLSTATE
-- a tenant that is no value of the tenant column's type: 22P02
SELECT * FROM item_get_tags('tn_articles', 1, tenant => 'acme');
\echo :LAST_ERROR_SQLSTATE
-- a tenant given to a target without tenants, or without a target: 22023
CREATE TABLE tn_plain (id bigint PRIMARY KEY);
SELECT tags_enable('tn_plain');
SELECT * FROM item_get_tags('tn_plain', 1, tenant => 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tags_search('p', tenant => 1);
\echo :LAST_ERROR_SQLSTATE
-- a target without tenants ignores the setting
BEGIN;
SET LOCAL tags.tenant = '1';
INSERT INTO tn_plain VALUES (1);
SELECT name FROM item_set_tags('tn_plain', 1, ARRAY['plain']);
ROLLBACK;
-- an item of another tenant, or of none: P0002, named with its tenant
SELECT * FROM item_set_tags('tn_articles', 9, ARRAY['x'], tenant => 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM item_get_tags('tn_articles', 1, tenant => 3);
\echo :LAST_ERROR_SQLSTATE
-- items_related takes the row's own tenant; another one is 22023
SELECT * FROM items_related((SELECT a FROM tn_articles a WHERE account_id = 1 AND id = 1),
                            tenant => 2);
\echo :LAST_ERROR_SQLSTATE
-- nothing was written by the refused calls
SELECT count(*) AS leak FROM tenant_tags WHERE name IN ('leak', 'x');

-- tag care in tenant 1 leaves tenant 2 as it was, byte for byte
CREATE TEMP TABLE tenant_2 AS
SELECT 'tags' AS what, row(t.*)::text AS line FROM tenant_tags t WHERE tenant = 2
UNION ALL SELECT 'synonyms', row(s.*)::text FROM tenant_tag_synonyms s WHERE tenant = 2
UNION ALL SELECT 'aliases', row(a.*)::text FROM tenant_tag_slug_aliases a WHERE tenant = 2
UNION ALL SELECT 'associations', row(x.*)::text FROM tn_articles_tags x WHERE tenant = 2
UNION ALL SELECT 'counts', row(c.*)::text FROM tag_item_counts('tn_articles', tenant => 2) c;
SELECT count(*) AS tenant_2_rows FROM tenant_2;
-- a synonym, a rename, a merge, a removed synonym and a prune, by slugs
-- both tenants have
SELECT name FROM tag_add_synonym('golang', 'python', target => 'tn_articles', tenant => 1);
SELECT name, slug FROM tag_rename('python', 'Go', target => 'tn_articles', tenant => 1);
SELECT tag_merge('sql', 'go', target => 'tn_articles', tenant => 1) AS moved;
SELECT tag_remove_synonym('golang', target => 'tn_articles', tenant => 1);
SELECT name FROM tags_get_or_create(ARRAY['Unused'], target => 'tn_articles', tenant => 1);
SELECT tags_prune(target => 'tn_articles', tenant => 1) AS pruned;
-- tenant 1 changed: one tag, go (its old slugs python and sql resolve)
SELECT tenant, name, slug FROM tenant_tags WHERE tenant = 1;
SELECT tenant, slug, (SELECT name FROM tenant_tags t WHERE t.tenant = a.tenant AND t.id = a.tag_id)
FROM tenant_tag_slug_aliases a ORDER BY 1, 2;
SELECT tenant, name FROM tenant_tag_synonyms ORDER BY 1, 2;
SELECT name, item_count FROM tag_item_counts('tn_articles', tenant => 1);
SELECT tag_item_count('tn_articles', 'python', tenant => 1) AS by_old_slug;
-- tenant 2 did not
SELECT what, line FROM tenant_2
EXCEPT ALL
SELECT * FROM (
SELECT 'tags' AS what, row(t.*)::text AS line FROM tenant_tags t WHERE tenant = 2
UNION ALL SELECT 'synonyms', row(s.*)::text FROM tenant_tag_synonyms s WHERE tenant = 2
UNION ALL SELECT 'aliases', row(a.*)::text FROM tenant_tag_slug_aliases a WHERE tenant = 2
UNION ALL SELECT 'associations', row(x.*)::text FROM tn_articles_tags x WHERE tenant = 2
UNION ALL SELECT 'counts', row(c.*)::text FROM tag_item_counts('tn_articles', tenant => 2) c) now;
SELECT name, item_count FROM tag_item_counts('tn_articles', tenant => 2);
-- the slug python is tenant 2's own still, not an old slug there
SELECT name FROM items_by_tag(NULL::tn_articles, 'python', tenant => 2) x
JOIN LATERAL item_get_tags('tn_articles', x.id, tenant => 2) ON true;
-- tag care refuses without a tenant too
SELECT tag_rename('go', 'Golang', target => 'tn_articles');
\echo :LAST_ERROR_SQLSTATE

-- a direct write to the vocabulary is held to its rules within the tenant:
-- a name already a synonym, a slug already an old slug, there and not in
-- the other tenant
SELECT name FROM tag_add_synonym('gopher', 'go', target => 'tn_articles', tenant => 1);
INSERT INTO tenant_tags (tenant, name) VALUES (1, 'Gopher');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO tenant_tags (tenant, name, slug) VALUES (1, 'py', 'python');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO tenant_tags (tenant, name) VALUES (2, 'Gopher') RETURNING tenant, name, slug;
INSERT INTO tenant_tags (tenant, name) VALUES (1, 'Go Lang'), (1, 'go-lang')
RETURNING tenant, name, slug;

-- a uuid tenant, and a key that is one column beside a NOT NULL tenant
-- column: a vocabulary of their own type, named after it
CREATE TABLE tn_notes (
    org     uuid NOT NULL,
    id      uuid PRIMARY KEY,
    body    text
);
SELECT tags_enable('tn_notes', tenant_column => 'org');
SELECT tags::text, tenant_type FROM tag_vocabularies ORDER BY 1;
SELECT conrelid::regclass AS "table", pg_get_constraintdef(oid)
FROM pg_constraint WHERE conrelid = 'tn_notes_tags'::regclass AND contype = 'f'
ORDER BY 2;
INSERT INTO tn_notes VALUES
    ('00000000-0000-0000-0000-00000000000a', '10000000-0000-0000-0000-000000000001', 'a'),
    ('00000000-0000-0000-0000-00000000000b', '10000000-0000-0000-0000-000000000002', 'b');
SELECT name FROM item_set_tags('tn_notes', '10000000-0000-0000-0000-000000000001'::uuid,
                               ARRAY['Idea'], tenant => '00000000-0000-0000-0000-00000000000a'::uuid);
SELECT name FROM item_set_tags('tn_notes', '10000000-0000-0000-0000-000000000002',
                               ARRAY['Idea'], tenant => '00000000-0000-0000-0000-00000000000b');
SELECT tenant, name FROM tenant_tags_uuid ORDER BY 1;
-- the key alone does not name an item of another tenant: 23503 for a
-- direct write, P0002 for a call
INSERT INTO tn_notes_tags (tenant, item_id, tag_id)
SELECT '00000000-0000-0000-0000-00000000000a', '10000000-0000-0000-0000-000000000002', id
FROM tenant_tags_uuid WHERE tenant = '00000000-0000-0000-0000-00000000000a';
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM item_get_tags('tn_notes', '10000000-0000-0000-0000-000000000002',
                            tenant => '00000000-0000-0000-0000-00000000000a');
\echo :LAST_ERROR_SQLSTATE
-- an item with tags cannot move to another tenant (its tags are its
-- tenant's); without tags it can
UPDATE tn_notes SET org = '00000000-0000-0000-0000-00000000000b'
WHERE id = '10000000-0000-0000-0000-000000000001';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM item_set_tags('tn_notes', '10000000-0000-0000-0000-000000000001', '{}',
                                   tenant => '00000000-0000-0000-0000-00000000000a');
UPDATE tn_notes SET org = '00000000-0000-0000-0000-00000000000b'
WHERE id = '10000000-0000-0000-0000-000000000001';
SELECT name FROM item_set_tags('tn_notes', '10000000-0000-0000-0000-000000000001', ARRAY['idea'],
                               tenant => '00000000-0000-0000-0000-00000000000b');
SELECT name, item_count FROM tag_item_counts('tn_notes', tenant => '00000000-0000-0000-0000-00000000000b');

-- a second bigint target of the schema shares the tenants' vocabulary:
-- account 1's go is one tag for its articles and its photos
CREATE TABLE tn_photos (account_id bigint NOT NULL, id integer NOT NULL,
                        PRIMARY KEY (id, account_id));
SELECT tags_enable('tn_photos', tenant_column => 'account_id');
SELECT vocabulary FROM tag_targets WHERE target = 'tn_photos'::regclass;
INSERT INTO tn_photos VALUES (1, 1);
SELECT t.id = g.id AS same_tag
FROM item_set_tags('tn_photos', 1, ARRAY['Go'], tenant => 1) t,
     tenant_tags g WHERE g.tenant = 1 AND g.slug = 'go';
-- tag care spans both targets of the tenant: a rename shows in each
SELECT slug FROM tag_rename('go', 'Golang', target => 'tn_photos', tenant => 1);
SELECT name FROM item_get_tags('tn_photos', 1, tenant => 1);
SELECT name FROM item_get_tags('tn_articles', 1, tenant => 1);

-- the shapes refused: a tenant column that may be NULL, or that is not
-- part of a two-column key; a key of another shape
CREATE TABLE tn_loose (account_id bigint, id bigint PRIMARY KEY);
SELECT tags_enable('tn_loose', tenant_column => 'account_id');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE tn_pair (a bigint NOT NULL, b bigint NOT NULL, account_id bigint NOT NULL,
                      PRIMARY KEY (a, b));
SELECT tags_enable('tn_pair', tenant_column => 'account_id');
\echo :LAST_ERROR_SQLSTATE
SELECT tags_enable('tn_pair', tenant_column => 'nosuch');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE tn_float (account_id float8 NOT NULL, id bigint, PRIMARY KEY (account_id, id));
SELECT tags_enable('tn_float', tenant_column => 'account_id');
\echo :LAST_ERROR_SQLSTATE

-- the counts of every tenant equal a live count from the associations
SELECT count(*) AS wrong_counts
FROM (SELECT x.tenant, x.tag_id, count(*) FILTER (WHERE x.item_visible) AS live
      FROM tn_articles_tags x GROUP BY 1, 2) l
LEFT JOIN LATERAL tag_item_counts('tn_articles', tenant => l.tenant) c ON c.id = l.tag_id
WHERE c.item_count IS DISTINCT FROM l.live;

-- disabling a target keeps the vocabulary, and the other target's tags
SELECT tags_disable('tn_articles');
SELECT count(*) > 0 AS vocabulary_kept FROM tenant_tags;
SELECT name FROM item_get_tags('tn_photos', 1, tenant => 1);
DROP TABLE tn_articles, tn_photos, tn_notes, tn_plain, tn_loose, tn_pair, tn_float CASCADE;
-- dropping a vocabulary forgets it
DROP TABLE tenant_tags, tenant_tag_synonyms, tenant_tag_slug_aliases,
           tenant_tags_uuid, tenant_tag_synonyms_uuid, tenant_tag_slug_aliases_uuid;
SELECT count(*) AS vocabularies FROM tag_vocabularies;
SELECT count(*) AS targets FROM tag_targets WHERE NOT builtin;
