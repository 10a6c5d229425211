/* tags--1.2--1.3.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION tags UPDATE TO '1.3'" to load this file. \quit

-- the extension's own event triggers have nothing to say about the drops,
-- comments and changes of this script (it runs in one transaction: other
-- sessions never see them disabled)
ALTER EVENT TRIGGER tags_drop_targets DISABLE;
ALTER EVENT TRIGGER tags_guard_builtin_tables DISABLE;
ALTER EVENT TRIGGER tags_guard_builtin_drops DISABLE;

--
-- Tenants
--
-- A target with a tenant column (tags_enable(..., tenant_column => ...))
-- tags each tenant's rows with that tenant's own tags: its vocabulary, made
-- in the target's schema and shared by the targets of that schema whose
-- tenant column has the same type, holds every tenant's tags, synonyms and
-- old slugs, each keyed by the tenant.  Every function on such a target is
-- told the tenant, as an argument of type tag_tenant.
--

-- The tenant an application passes: text, to which any smallint, integer,
-- bigint, uuid or text converts implicitly, so that one parameter takes
-- what the application holds, and an untyped parameter resolves.  The
-- value is converted to the tenant column's type through its text form.
CREATE TYPE tag_tenant;

CREATE FUNCTION tag_tenant_in(cstring)
RETURNS tag_tenant
AS 'textin'
LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tag_tenant_out(tag_tenant)
RETURNS cstring
AS 'textout'
LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tag_tenant_recv(internal)
RETURNS tag_tenant
AS 'textrecv'
LANGUAGE internal STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tag_tenant_send(tag_tenant)
RETURNS bytea
AS 'textsend'
LANGUAGE internal STABLE STRICT PARALLEL SAFE;

CREATE TYPE tag_tenant (
    INPUT = tag_tenant_in,
    OUTPUT = tag_tenant_out,
    RECEIVE = tag_tenant_recv,
    SEND = tag_tenant_send,
    LIKE = pg_catalog.text
);

COMMENT ON TYPE tag_tenant IS
'a tenant, as the functions on a tenant target take it: the text form of a value of the tenant column';

CREATE CAST (pg_catalog.text AS tag_tenant) WITHOUT FUNCTION AS IMPLICIT;
CREATE CAST (pg_catalog.varchar AS tag_tenant) WITHOUT FUNCTION AS IMPLICIT;
CREATE CAST (pg_catalog.int2 AS tag_tenant) WITH INOUT AS IMPLICIT;
CREATE CAST (pg_catalog.int4 AS tag_tenant) WITH INOUT AS IMPLICIT;
CREATE CAST (pg_catalog.int8 AS tag_tenant) WITH INOUT AS IMPLICIT;
CREATE CAST (pg_catalog.uuid AS tag_tenant) WITH INOUT AS IMPLICIT;

ALTER TABLE tag_targets
    ADD COLUMN tenant_column name,
    ADD COLUMN vocabulary regclass;

COMMENT ON COLUMN tag_targets.tenant_column IS
'the target''s tenant column, whose value says whose vocabulary a row is tagged from; NULL: the shared tags';
COMMENT ON COLUMN tag_targets.vocabulary IS
'the tags table of the vocabulary the target uses, a tenant vocabulary or, for a distributed target without tenants, the global vocabulary of its schema (see tag_vocabularies); NULL: the shared tags';

CREATE TABLE tag_vocabularies (
    tags            regclass CONSTRAINT tag_vocabularies_pkey PRIMARY KEY,
    synonyms        regclass NOT NULL
                    CONSTRAINT tag_vocabularies_synonyms_key UNIQUE,
    slug_aliases    regclass NOT NULL
                    CONSTRAINT tag_vocabularies_slug_aliases_key UNIQUE,
    tenant_type     regtype,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now()
);

COMMENT ON TABLE tag_vocabularies IS
'the vocabularies of targets: for each, its tags, synonyms and old slugs tables, keyed by a tenant of tenant_type; a NULL tenant_type is the global vocabulary of a schema''s distributed targets without tenants, reference tables on Citus (see tags_enable)';

-- made by tags_enable() for the application: dumped, every row
SELECT pg_catalog.pg_extension_config_dump('tag_vocabularies', '');

GRANT SELECT ON tag_vocabularies TO PUBLIC;

--
-- Contexts: more than one tag list per item
--
-- A target's rows have one list (its association table) and, for each
-- context declared (tags_enable(..., contexts => ...) or
-- tags_add_context()), one more, with its own association table and
-- counters, <target>_<context>_tags and so on.
--

CREATE TABLE tag_contexts (
    target          regclass NOT NULL,
    context         text NOT NULL
                    CONSTRAINT tag_contexts_context_check
                    CHECK (context OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]*$'),
    association     regclass NOT NULL
                    CONSTRAINT tag_contexts_association_key UNIQUE,
    counts          regclass NOT NULL,
    count_deltas    regclass NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT tag_contexts_pkey PRIMARY KEY (target, context)
);

COMMENT ON TABLE tag_contexts IS
'the named tag lists of targets besides their own, each with its association table and counters (see tags_add_context)';

SELECT pg_catalog.pg_extension_config_dump('tag_contexts', '');

GRANT SELECT ON tag_contexts TO PUBLIC;

-- An item without a sort value (a nullable sort column) sorts as the
-- lowest value of the column's type: -infinity for numeric, which a copy
-- of type numeric(p, s), as 1.2 made them, cannot hold.  The copies lose
-- their modifier (no rewrite).
DO $$
DECLARE
    copy record;
BEGIN
    FOR copy IN
        SELECT t.association
        FROM tag_targets t
        JOIN pg_catalog.pg_attribute a
          ON a.attrelid OPERATOR(pg_catalog.=) t.association
         AND a.attname OPERATOR(pg_catalog.=) 'item_sort'
        WHERE NOT t.builtin
          AND a.atttypid OPERATOR(pg_catalog.=) 'pg_catalog.numeric'::pg_catalog.regtype
          AND a.atttypmod OPERATOR(pg_catalog.<>) -1
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN item_sort TYPE pg_catalog.numeric',
                                  copy.association);
    END LOOP;
END
$$;

-- The deltas have no key: a publication of them (logical replication)
-- identifies the rows a fold deletes by all their columns, without which
-- the fold fails
ALTER TABLE tag_post_count_deltas REPLICA IDENTITY FULL;
DO $$
DECLARE
    list record;
BEGIN
    FOR list IN SELECT t.count_deltas FROM tag_targets t WHERE NOT t.builtin
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s REPLICA IDENTITY FULL',
                                  list.count_deltas);
    END LOOP;
END
$$;

--
-- Targets, with tenants and contexts
--

DROP FUNCTION tags_enable(regclass, text, name);

CREATE FUNCTION tags_enable(target regclass, visible text DEFAULT NULL,
                            sort_column name DEFAULT NULL,
                            tenant_column name DEFAULT NULL,
                            contexts text[] DEFAULT NULL)
RETURNS regclass
AS 'MODULE_PATHNAME', 'tags_enable'
LANGUAGE C VOLATILE PARALLEL UNSAFE;   -- not STRICT: a NULL target is an error

COMMENT ON FUNCTION tags_enable(regclass, text, name, name, text[]) IS
'makes the rows of a table taggable: creates its association table <target>_tags and counters (and those of each context, and a tenant vocabulary), and returns the association table';

CREATE FUNCTION tags_add_context(target regclass, context text)
RETURNS regclass
AS 'MODULE_PATHNAME', 'tags_add_context'
LANGUAGE C VOLATILE PARALLEL UNSAFE;   -- not STRICT: NULL arguments are errors

COMMENT ON FUNCTION tags_add_context(regclass, text) IS
'gives the target''s rows one more tag list, named context, with its own association table and counters, and returns the association table';

--
-- Writers and readers on a target, told the tenant and the context
--
-- Each takes tenant (required on a tenant target, refused on another) and
-- context (NULL: the target's own list) last, by name or by position.
--

DROP FUNCTION item_set_tags(regclass, bigint, text[]);
DROP FUNCTION item_set_tags(regclass, uuid, text[]);
DROP FUNCTION item_set_tags(regclass, text, text[]);

CREATE FUNCTION item_set_tags(target regclass, item bigint, names text[],
                              tenant tag_tenant DEFAULT NULL,
                              context text DEFAULT NULL)
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_set_tags'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION item_set_tags(target regclass, item uuid, names text[],
                              tenant tag_tenant DEFAULT NULL,
                              context text DEFAULT NULL)
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_set_tags'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION item_set_tags(target regclass, item text, names text[],
                              tenant tag_tenant DEFAULT NULL,
                              context text DEFAULT NULL)
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_set_tags'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION item_set_tags(regclass, bigint, text[], tag_tenant, text) IS
'makes the item''s tags exactly these, in this order (NULL names: unchanged) and returns them';
COMMENT ON FUNCTION item_set_tags(regclass, uuid, text[], tag_tenant, text) IS
'makes the item''s tags exactly these, in this order (NULL names: unchanged) and returns them';
COMMENT ON FUNCTION item_set_tags(regclass, text, text[], tag_tenant, text) IS
'makes the item''s tags exactly these, in this order (NULL names: unchanged) and returns them';

DROP FUNCTION item_add_tags(regclass, bigint, text[]);
DROP FUNCTION item_add_tags(regclass, uuid, text[]);
DROP FUNCTION item_add_tags(regclass, text, text[]);

CREATE FUNCTION item_add_tags(target regclass, item bigint, names text[],
                              tenant tag_tenant DEFAULT NULL,
                              context text DEFAULT NULL)
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_add_tags'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION item_add_tags(target regclass, item uuid, names text[],
                              tenant tag_tenant DEFAULT NULL,
                              context text DEFAULT NULL)
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_add_tags'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION item_add_tags(target regclass, item text, names text[],
                              tenant tag_tenant DEFAULT NULL,
                              context text DEFAULT NULL)
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_add_tags'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION item_add_tags(regclass, bigint, text[], tag_tenant, text) IS
'adds these tags at the end of the item''s tags and returns them all';
COMMENT ON FUNCTION item_add_tags(regclass, uuid, text[], tag_tenant, text) IS
'adds these tags at the end of the item''s tags and returns them all';
COMMENT ON FUNCTION item_add_tags(regclass, text, text[], tag_tenant, text) IS
'adds these tags at the end of the item''s tags and returns them all';

DROP FUNCTION item_remove_tags(regclass, bigint, text[]);
DROP FUNCTION item_remove_tags(regclass, uuid, text[]);
DROP FUNCTION item_remove_tags(regclass, text, text[]);

CREATE FUNCTION item_remove_tags(target regclass, item bigint, names text[],
                                 tenant tag_tenant DEFAULT NULL,
                                 context text DEFAULT NULL)
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_remove_tags'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION item_remove_tags(target regclass, item uuid, names text[],
                                 tenant tag_tenant DEFAULT NULL,
                                 context text DEFAULT NULL)
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_remove_tags'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION item_remove_tags(target regclass, item text, names text[],
                                 tenant tag_tenant DEFAULT NULL,
                                 context text DEFAULT NULL)
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_remove_tags'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION item_remove_tags(regclass, bigint, text[], tag_tenant, text) IS
'removes these tags from the item (the tags themselves stay) and returns the rest';
COMMENT ON FUNCTION item_remove_tags(regclass, uuid, text[], tag_tenant, text) IS
'removes these tags from the item (the tags themselves stay) and returns the rest';
COMMENT ON FUNCTION item_remove_tags(regclass, text, text[], tag_tenant, text) IS
'removes these tags from the item (the tags themselves stay) and returns the rest';

-- The writers above on a distributed target: the coordinator runs this in
-- a SELECT of the item's row, which Citus sends whole to the worker that
-- holds the row, where it writes the item's tags on the shards there
-- (doc/citus.md, "Where a call runs").  shard is the row's table there,
-- item the row, how 's' (set), 'a' (add) or 'r' (remove), max_tags the
-- caller's tags.max_tags_per_post.  It does what the writer does and
-- returns the same rows, or one row of NULLs when names are missing,
-- which the coordinator then creates.
CREATE FUNCTION item_write_on_shard(shard oid, item record, names text[],
                                    context text, how "char",
                                    max_tags integer)
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_write_on_shard'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION item_write_on_shard(oid, record, text[], text, "char", integer) IS
'the write of item_set_tags(), item_add_tags() or item_remove_tags() on the Citus worker that holds the item (called by them)';

DROP FUNCTION item_get_tags(regclass, bigint);
DROP FUNCTION item_get_tags(regclass, uuid);
DROP FUNCTION item_get_tags(regclass, text);

CREATE FUNCTION item_get_tags(target regclass, item bigint,
                              tenant tag_tenant DEFAULT NULL,
                              context text DEFAULT NULL)
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_get_tags'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION item_get_tags(target regclass, item uuid,
                              tenant tag_tenant DEFAULT NULL,
                              context text DEFAULT NULL)
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_get_tags'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION item_get_tags(target regclass, item text,
                              tenant tag_tenant DEFAULT NULL,
                              context text DEFAULT NULL)
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'item_get_tags'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION item_get_tags(regclass, bigint, tag_tenant, text) IS
'the item''s tags, in order';
COMMENT ON FUNCTION item_get_tags(regclass, uuid, tag_tenant, text) IS
'the item''s tags, in order';
COMMENT ON FUNCTION item_get_tags(regclass, text, tag_tenant, text) IS
'the item''s tags, in order';

-- item_get_tags() on a distributed target: the coordinator runs this in a
-- SELECT of the item's row, which Citus sends whole to the worker that
-- holds the row, where it reads the item's tags on the shards there
-- (doc/citus.md, "Where a call runs").  shard is the row's table there,
-- item the row.  An array, so that the SELECT is one Citus plans on its
-- fast path.
CREATE FUNCTION item_tags_on_shard(shard oid, item record, context text)
RETURNS tags[]
AS 'MODULE_PATHNAME', 'item_tags_on_shard'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION item_tags_on_shard(oid, record, text) IS
'the tags of item_get_tags() on the Citus worker that holds the item (called by it)';

DROP FUNCTION items_by_tag(anyelement, text, integer, integer);

CREATE FUNCTION items_by_tag(target anyelement, slug text,
                             page integer DEFAULT 1,
                             page_size integer DEFAULT 10,
                             tenant tag_tenant DEFAULT NULL,
                             context text DEFAULT NULL)
RETURNS SETOF anyelement
AS 'MODULE_PATHNAME', 'items_by_tag'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION items_by_tag(anyelement, text, integer, integer, tag_tenant, text) IS
'one page of the tag''s visible items of the target, newest first by its sort column';

DROP FUNCTION items_by_tag_after(anyelement, text, anyelement, integer);

CREATE FUNCTION items_by_tag_after(target anyelement, slug text,
                                   after anyelement,
                                   page_size integer DEFAULT 10,
                                   tenant tag_tenant DEFAULT NULL,
                                   context text DEFAULT NULL)
RETURNS SETOF anyelement
AS 'MODULE_PATHNAME', 'items_by_tag_after'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION items_by_tag_after(anyelement, text, anyelement, integer, tag_tenant, text) IS
'the tag''s visible items that come after the item after in items_by_tag() order';

-- items_by_tag() and items_by_tag_after() on a distributed target: the
-- coordinator runs this in a SELECT of the tag's row, which Citus sends
-- whole to the worker that holds the tenant, where it reads the page on
-- the shards there (doc/citus.md, "Where a call runs").  shard is the
-- row's table there; after a row of the target's type: the page follows
-- it, or, NULL, starts at offset.  The rows come back as an array, so that
-- the coordinator's statement is a plain SELECT of one table, which Citus
-- plans on its fast path.
CREATE FUNCTION items_page_on_shard(shard oid, tag record, after anyelement,
                                    "offset" bigint, "limit" bigint,
                                    context text)
RETURNS anyarray
AS 'MODULE_PATHNAME', 'items_page_on_shard'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION items_page_on_shard(oid, record, anyelement, bigint, bigint, text) IS
'a page of items_by_tag() or items_by_tag_after() on the Citus worker that holds the tenant (called by them)';

DROP FUNCTION items_tagged(anyelement, text[], text, text[], integer, integer);

CREATE FUNCTION items_tagged(target anyelement, names text[],
                             match text DEFAULT 'all',
                             exclude text[] DEFAULT NULL,
                             page integer DEFAULT 1,
                             page_size integer DEFAULT 10,
                             tenant tag_tenant DEFAULT NULL,
                             context text DEFAULT NULL)
RETURNS SETOF anyelement
AS 'MODULE_PATHNAME', 'items_tagged'
LANGUAGE C STABLE PARALLEL SAFE;   -- not STRICT: NULL arguments are errors (22004)

COMMENT ON FUNCTION items_tagged(anyelement, text[], text, text[], integer, integer, tag_tenant, text) IS
'one page of the visible items that have all, any or exactly the named tags, and none of exclude';

DROP FUNCTION items_related(anyelement, integer);

CREATE FUNCTION items_related(of_item anyelement, lim integer DEFAULT 10,
                              tenant tag_tenant DEFAULT NULL,
                              context text DEFAULT NULL)
RETURNS TABLE (item anyelement, shared_tags bigint)
AS 'MODULE_PATHNAME', 'items_related'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION items_related(anyelement, integer, tag_tenant, text) IS
'the visible items of the same target that share the most tags with this one, with how many they share';

DROP FUNCTION tag_item_counts(regclass);

CREATE FUNCTION tag_item_counts(target regclass,
                                tenant tag_tenant DEFAULT NULL,
                                context text DEFAULT NULL)
RETURNS TABLE (id integer, name text, slug text, item_count bigint)
AS 'MODULE_PATHNAME', 'tag_item_counts'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION tag_item_counts(regclass, tag_tenant, text) IS
'every tag with the number of its visible items of the target, most used first';

DROP FUNCTION tag_item_counts(regclass, integer);

CREATE FUNCTION tag_item_counts(target regclass, top integer,
                                tenant tag_tenant DEFAULT NULL,
                                context text DEFAULT NULL)
RETURNS TABLE (id integer, name text, slug text, item_count bigint)
AS 'MODULE_PATHNAME', 'tag_item_counts_top'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION tag_item_counts(regclass, integer, tag_tenant, text) IS
'the first top rows of tag_item_counts(target): the most used tags';

DROP FUNCTION tag_item_count(regclass, text);

CREATE FUNCTION tag_item_count(target regclass, slug text,
                               tenant tag_tenant DEFAULT NULL,
                               context text DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'tag_item_count'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION tag_item_count(regclass, text, tag_tenant, text) IS
'the number of the tag''s visible items of the target';

-- tag_item_count() on a distributed target: the coordinator runs this in a
-- SELECT of the tag's row, which Citus sends whole to the worker that
-- holds the tenant, where it counts on the shards there (doc/citus.md,
-- "Where a call runs").  shard is the row's table there, target a row of
-- the target's type.
CREATE FUNCTION tag_count_on_shard(shard oid, tag record, target anyelement,
                                   context text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'tag_count_on_shard'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION tag_count_on_shard(oid, record, anyelement, text) IS
'the count of tag_item_count() on the Citus worker that holds the tenant (called by it)';

--
-- The functions about tags, on a vocabulary
--
-- Told a target (and, for a tenant target, the tenant), they act on the
-- target's vocabulary, and rank tags by the target's counts (context: the
-- list counted); without one, on the shared tags, ranked by posts, as
-- before 1.3.
--

DROP FUNCTION tags_get_or_create(text[]);

CREATE FUNCTION tags_get_or_create(names text[],
                                   target regclass DEFAULT NULL,
                                   tenant tag_tenant DEFAULT NULL)
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'tags_get_or_create'
LANGUAGE C VOLATILE PARALLEL UNSAFE;   -- not STRICT: a NULL list gives no rows, a NULL target the shared tags

COMMENT ON FUNCTION tags_get_or_create(text[], regclass, tag_tenant) IS
'the tags with these names, created when missing, one per distinct normalized name in order of first appearance';

DROP FUNCTION tags_search(text, integer);

CREATE FUNCTION tags_search(prefix text, lim integer DEFAULT 10,
                            target regclass DEFAULT NULL,
                            tenant tag_tenant DEFAULT NULL,
                            context text DEFAULT NULL)
RETURNS SETOF tags
AS 'MODULE_PATHNAME', 'tags_search'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION tags_search(text, integer, regclass, tag_tenant, text) IS
'autocomplete: the tags whose name starts with the normalized prefix, most used first';

DROP FUNCTION tags_related(text, integer);

CREATE FUNCTION tags_related(tag_slug text, lim integer DEFAULT 10,
                             target regclass DEFAULT NULL,
                             tenant tag_tenant DEFAULT NULL,
                             context text DEFAULT NULL)
RETURNS TABLE (id integer, name text, slug text, shared_posts bigint)
AS 'MODULE_PATHNAME', 'tags_related'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION tags_related(text, integer, regclass, tag_tenant, text) IS
'the tags most often on the same listed items as this one, with how many they share';

DROP FUNCTION tag_add_synonym(text, text);

CREATE FUNCTION tag_add_synonym(name text, target_slug text,
                                target regclass DEFAULT NULL,
                                tenant tag_tenant DEFAULT NULL)
RETURNS tags
AS 'MODULE_PATHNAME', 'tag_add_synonym'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION tag_add_synonym(text, text, regclass, tag_tenant) IS
'makes the normalized name another name of the tag with this slug, and returns that tag';

DROP FUNCTION tag_remove_synonym(text);

CREATE FUNCTION tag_remove_synonym(name text,
                                   target regclass DEFAULT NULL,
                                   tenant tag_tenant DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'tag_remove_synonym'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION tag_remove_synonym(text, regclass, tag_tenant) IS
'removes the synonym with this normalized name; returns whether there was one';

DROP FUNCTION tag_rename(text, text);

CREATE FUNCTION tag_rename(slug text, new_name text,
                           target regclass DEFAULT NULL,
                           tenant tag_tenant DEFAULT NULL)
RETURNS tags
AS 'MODULE_PATHNAME', 'tag_rename'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION tag_rename(text, text, regclass, tag_tenant) IS
'gives the tag a new name and the slug made from it; the old slug keeps resolving to the tag';

DROP FUNCTION tag_merge(text, text);

CREATE FUNCTION tag_merge(from_slug text, into_slug text,
                          target regclass DEFAULT NULL,
                          tenant tag_tenant DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'tag_merge'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION tag_merge(text, text, regclass, tag_tenant) IS
'moves every item of one tag to another and deletes it, keeping its name as a synonym and its slug as an alias; returns the number of associations moved';

DROP FUNCTION tags_prune(interval);

CREATE FUNCTION tags_prune(min_age interval DEFAULT '0',
                           target regclass DEFAULT NULL,
                           tenant tag_tenant DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'tags_prune'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION tags_prune(interval, regclass, tag_tenant) IS
'deletes the tags on no item that are at least min_age old; returns how many';

ALTER EVENT TRIGGER tags_drop_targets ENABLE;
ALTER EVENT TRIGGER tags_guard_builtin_tables ENABLE;
ALTER EVENT TRIGGER tags_guard_builtin_drops ENABLE;
