/* tags--1.1--1.2.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION tags UPDATE TO '1.2'" to load this file. \quit

--
-- Targets: the tables whose rows are tagged
--
-- tags_enable() registers an application's table here and makes, beside
-- it and owned by its owner, the association table <target>_tags and its
-- counters <target>_tag_counts and <target>_tag_count_deltas: ordinary
-- tables of the application, dumped whole by pg_dump.  The built-in posts
-- is registered at install, with post_tags and the 1.1 counters.
--

CREATE TABLE tag_targets (
    target          regclass CONSTRAINT tag_targets_pkey PRIMARY KEY,
    association     regclass NOT NULL
                    CONSTRAINT tag_targets_association_key UNIQUE,
    counts          regclass NOT NULL,
    count_deltas    regclass NOT NULL,
    visible         text,
    sort_column     name NOT NULL,
    builtin         boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now()
);

COMMENT ON TABLE tag_targets IS
'the tables whose rows are tagged, each with its association table and counters (see tags_enable)';
COMMENT ON COLUMN tag_targets.visible IS
'the boolean expression over the target''s columns that decides which rows are counted and listed; NULL: every row';
COMMENT ON COLUMN tag_targets.sort_column IS
'the column that tag pages sort by, newest first';

-- the registrations of the application's tables are user data; the
-- built-in one is made by CREATE EXTENSION
SELECT pg_catalog.pg_extension_config_dump('tag_targets', 'WHERE NOT builtin');

GRANT SELECT ON tag_targets TO PUBLIC;

INSERT INTO tag_targets (target, association, counts, count_deltas,
                         visible, sort_column, builtin)
VALUES ('@extschema@.posts', '@extschema@.post_tags',
        '@extschema@.tag_post_counts', '@extschema@.tag_post_count_deltas',
        'status = ''published''::text AND deleted_at IS NULL',
        'created_at', true);

CREATE FUNCTION tags_enable(target regclass, visible text DEFAULT NULL,
                            sort_column name DEFAULT NULL)
RETURNS regclass
AS 'MODULE_PATHNAME', 'tags_enable'
LANGUAGE C VOLATILE PARALLEL UNSAFE;   -- not STRICT: a NULL target is an error

COMMENT ON FUNCTION tags_enable(regclass, text, name) IS
'makes the rows of a table taggable: creates its association table <target>_tags and counters, and returns the association table';

CREATE FUNCTION tags_disable(target regclass)
RETURNS void
AS 'MODULE_PATHNAME', 'tags_disable'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION tags_disable(regclass) IS
'drops what tags_enable made for the table: its associations and counters; the tags stay';

-- a target or its association table dropped takes the rest with it
CREATE FUNCTION tags_drop_targets()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'tags_drop_targets'
LANGUAGE C;

COMMENT ON FUNCTION tags_drop_targets() IS
'event trigger: forgets the targets that were dropped, and drops what was made for them';

CREATE EVENT TRIGGER tags_drop_targets ON sql_drop
    EXECUTE FUNCTION tags_drop_targets();

--
-- The triggers tags_enable() puts on a target and its association table
--

CREATE FUNCTION tags_copy_item()
RETURNS trigger
AS 'MODULE_PATHNAME', 'tags_copy_item'
LANGUAGE C VOLATILE PARALLEL UNSAFE;   -- locks the item

COMMENT ON FUNCTION tags_copy_item() IS
'trigger: sets an association''s item_visible and item_sort from its item';

CREATE FUNCTION tags_item_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'tags_item_changed'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION tags_item_changed() IS
'trigger: copies an item''s new visibility and sort value into its associations';

CREATE FUNCTION tags_count_item_changes()
RETURNS trigger
AS 'MODULE_PATHNAME', 'tags_count_item_changes'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION tags_count_item_changes() IS
'trigger: records the changes of a statement on an association table in its tag counters';

--
-- Writers on a target
--
-- item is the row's key.  Each comes for bigint, uuid and text: an integer
-- literal or parameter resolves to bigint, an untyped one to text, and the
-- value is converted to the type of the target's key.
--

CREATE FUNCTION item_set_tags(target regclass, item bigint, names text[])
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_set_tags'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION item_set_tags(target regclass, item uuid, names text[])
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_set_tags'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION item_set_tags(target regclass, item text, names text[])
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_set_tags'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION item_set_tags(regclass, bigint, text[]) IS
'makes the item''s tags exactly these, in this order (NULL names: unchanged) and returns them';
COMMENT ON FUNCTION item_set_tags(regclass, uuid, text[]) IS
'makes the item''s tags exactly these, in this order (NULL names: unchanged) and returns them';
COMMENT ON FUNCTION item_set_tags(regclass, text, text[]) IS
'makes the item''s tags exactly these, in this order (NULL names: unchanged) and returns them';

CREATE FUNCTION item_add_tags(target regclass, item bigint, names text[])
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_add_tags'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION item_add_tags(target regclass, item uuid, names text[])
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_add_tags'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION item_add_tags(target regclass, item text, names text[])
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_add_tags'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION item_add_tags(regclass, bigint, text[]) IS
'adds these tags at the end of the item''s tags and returns them all';
COMMENT ON FUNCTION item_add_tags(regclass, uuid, text[]) IS
'adds these tags at the end of the item''s tags and returns them all';
COMMENT ON FUNCTION item_add_tags(regclass, text, text[]) IS
'adds these tags at the end of the item''s tags and returns them all';

CREATE FUNCTION item_remove_tags(target regclass, item bigint, names text[])
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_remove_tags'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION item_remove_tags(target regclass, item uuid, names text[])
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_remove_tags'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION item_remove_tags(target regclass, item text, names text[])
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_remove_tags'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION item_remove_tags(regclass, bigint, text[]) IS
'removes these tags from the item (the tags themselves stay) and returns the rest';
COMMENT ON FUNCTION item_remove_tags(regclass, uuid, text[]) IS
'removes these tags from the item (the tags themselves stay) and returns the rest';
COMMENT ON FUNCTION item_remove_tags(regclass, text, text[]) IS
'removes these tags from the item (the tags themselves stay) and returns the rest';

--
-- Readers on a target
--
-- A target anyelement argument is a row of the target's type, NULL or not:
-- items_by_tag(NULL::articles, 'python') returns articles rows.
--

CREATE FUNCTION item_get_tags(target regclass, item bigint)
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_get_tags'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION item_get_tags(target regclass, item uuid)
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_get_tags'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION item_get_tags(target regclass, item text)
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_get_tags'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION item_get_tags(regclass, bigint) IS
'the item''s tags, in order';
COMMENT ON FUNCTION item_get_tags(regclass, uuid) IS
'the item''s tags, in order';
COMMENT ON FUNCTION item_get_tags(regclass, text) IS
'the item''s tags, in order';

CREATE FUNCTION items_by_tag(target anyelement, slug text,
                             page integer DEFAULT 1,
                             page_size integer DEFAULT 10)
RETURNS SETOF anyelement
AS 'MODULE_PATHNAME', 'items_by_tag'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION items_by_tag(anyelement, text, integer, integer) IS
'one page of the tag''s visible items of the target, newest first by its sort column';

CREATE FUNCTION items_by_tag_after(target anyelement, slug text,
                                   after anyelement,
                                   page_size integer DEFAULT 10)
RETURNS SETOF anyelement
AS 'MODULE_PATHNAME', 'items_by_tag_after'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION items_by_tag_after(anyelement, text, anyelement, integer) IS
'the tag''s visible items that come after the item after in items_by_tag() order';

CREATE FUNCTION items_tagged(target anyelement, names text[],
                             match text DEFAULT 'all',
                             exclude text[] DEFAULT NULL,
                             page integer DEFAULT 1,
                             page_size integer DEFAULT 10)
RETURNS SETOF anyelement
AS 'MODULE_PATHNAME', 'items_tagged'
LANGUAGE C STABLE PARALLEL SAFE;   -- not STRICT: NULL arguments are errors (22004)

COMMENT ON FUNCTION items_tagged(anyelement, text[], text, text[], integer, integer) IS
'one page of the visible items that have all, any or exactly the named tags, and none of exclude';

CREATE FUNCTION items_related(of_item anyelement, lim integer DEFAULT 10)
RETURNS TABLE (item anyelement, shared_tags bigint)
AS 'MODULE_PATHNAME', 'items_related'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION items_related(anyelement, integer) IS
'the visible items of the same target that share the most tags with this one, with how many they share';

CREATE FUNCTION tag_item_counts(target regclass)
RETURNS TABLE (id integer, name text, slug text, item_count bigint)
AS 'MODULE_PATHNAME', 'tag_item_counts'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION tag_item_counts(regclass) IS
'every tag with the number of its visible items of the target, most used first';

CREATE FUNCTION tag_item_counts(target regclass, top integer)
RETURNS TABLE (id integer, name text, slug text, item_count bigint)
AS 'MODULE_PATHNAME', 'tag_item_counts_top'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION tag_item_counts(regclass, integer) IS
'the first top rows of tag_item_counts(target): the most used tags';

CREATE FUNCTION tag_item_count(target regclass, slug text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'tag_item_count'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION tag_item_count(regclass, text) IS
'the number of the tag''s visible items of the target';

--
-- The built-in tables
--
-- pg_dump dumps the rows of these tables and the privileges on them, not
-- their definition: a restore makes them with CREATE EXTENSION.  So a
-- change to them that a dump would not keep (a column, an index, a
-- constraint, a trigger, a policy, a comment, a storage parameter) is
-- refused when it is made; GRANT and REVOKE are allowed.  A table of the
-- application's own, made taggable with tags_enable(), takes any of them.
--

-- A database whose built-in tables already have columns of the user's
-- (which the README of 1.0 and 1.1 invited) is told so once, at the update:
-- its dumps lose every row of those tables
DO $$
DECLARE
    added text;
BEGIN
    SELECT pg_catalog.string_agg(c.relname OPERATOR(pg_catalog.||) '.'
                                 OPERATOR(pg_catalog.||) a.attname, ', '
                                 ORDER BY c.relname, a.attnum)
    INTO added
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.attrelid
    WHERE c.oid OPERATOR(pg_catalog.=) ANY (ARRAY['@extschema@.posts'::pg_catalog.regclass,
                                                  '@extschema@.tags'::pg_catalog.regclass,
                                                  '@extschema@.post_tags'::pg_catalog.regclass])
      AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
      AND NOT (c.relname OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) a.attname)
              OPERATOR(pg_catalog.=) ANY (ARRAY[
                  'posts.id', 'posts.title', 'posts.body', 'posts.status',
                  'posts.created_at', 'posts.deleted_at',
                  'tags.id', 'tags.name', 'tags.slug', 'tags.created_at',
                  'post_tags.post_id', 'post_tags.tag_id', 'post_tags.position',
                  'post_tags.post_visible', 'post_tags.post_created_at']);
    IF added IS NOT NULL THEN
        RAISE WARNING 'columns were added to the tables of extension "tags": %', added
            USING DETAIL = 'pg_dump does not dump them, and the restore of such a table fails and loses all its rows.',
                  HINT = 'Move those rows to a table of the application''s own and tag it with tags_enable().';
    END IF;
END
$$;

CREATE FUNCTION tags_guard_builtin_tables()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'tags_guard_builtin_tables'
LANGUAGE C;

COMMENT ON FUNCTION tags_guard_builtin_tables() IS
'event trigger: refuses the changes to the extension''s tables that pg_dump would not keep';

-- the statements that can change a table, an index of it, or an object on it
CREATE EVENT TRIGGER tags_guard_builtin_tables ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'ALTER INDEX', 'ALTER SEQUENCE',
                 'ALTER TRIGGER', 'ALTER POLICY', 'ALTER RULE',
                 'ALTER STATISTICS', 'CREATE INDEX', 'CREATE TRIGGER',
                 'CREATE POLICY', 'CREATE RULE', 'CREATE STATISTICS',
                 'COMMENT', 'SECURITY LABEL')
    EXECUTE FUNCTION tags_guard_builtin_tables();

-- drops leave no command to read at ddl_command_end
CREATE EVENT TRIGGER tags_guard_builtin_drops ON ddl_command_start
    WHEN TAG IN ('DROP INDEX', 'DROP TRIGGER')
    EXECUTE FUNCTION tags_guard_builtin_tables();
