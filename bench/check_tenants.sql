-- Correctness of the tenant targets before timing: tenants_few.articles and
-- tenants_many.articles hold app.articles' items and associations, each
-- item in its tenant's vocabulary (data_tenants.sql), so a tenant's
-- answers must be app.articles' restricted to the tenant's items (which
-- check_target.sql has checked against the built-in posts).  For each
-- target: every tenant's folded counts summed per name are app.articles'
-- counts; for three tenants (the first, the second, the last),
-- tag_item_counts in full and its top 10, tag_item_count and pages 1 and 2
-- of tags 1 and 2; then item_set_tags and item_remove_tags on an item of
-- the second tenant, its stored tags and its tenant's counts again, and no
-- other tenant's vocabulary or counts touched; and tenant_alone.articles
-- answers as tenant 1 of tenants_many.  Raises an error (psql exits
-- non-zero) on the first difference.  The writes are rolled back.
-- psql -f bench/check_tenants.sql
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
-- the expected counts of a tenant: every tag of its vocabulary, with the
-- number of its visible items that have the tag of that name in
-- app.articles
CREATE FUNCTION pg_temp.expected_counts(sch text, ntenants integer, tenant integer)
RETURNS TABLE (name text, item_count bigint)
LANGUAGE plpgsql AS $f$
BEGIN
    RETURN QUERY EXECUTE format($sql$
        SELECT tt.name::text, count(x.item_id)
        FROM %I.tenant_tags tt
        LEFT JOIN (SELECT at.item_id, t.name
                   FROM generate_series($2, (SELECT max(id) FROM app.articles), $1) i
                   JOIN app.articles a ON a.id = i
                   JOIN app.articles_tags at ON at.item_id = a.id
                   JOIN ext.tags t ON t.id = at.tag_id
                   WHERE a.status = 'published' AND a.deleted_at IS NULL) x
               ON x.name = tt.name
        WHERE tt.tenant = $2
        GROUP BY tt.name$sql$, sch) USING ntenants, tenant;
END
$f$;
DO $$
DECLARE
    sch text;
    target regclass;
    ntenants integer;
    n bigint;
    a text;
    b text;
    tenant integer;
    sl text;
    item bigint;
    other bigint;
BEGIN
    FOREACH sch IN ARRAY ARRAY['tenants_few', 'tenants_many'] LOOP
        target := format('%I.articles', sch)::regclass;
        EXECUTE format('SELECT max(tenant_id) FROM %s', target) INTO ntenants;

        -- every tenant's counts, summed by name, are app.articles'
        EXECUTE format($sql$
            SELECT count(*) FROM (
                SELECT tt.name::text, sum(c.item_count)
                FROM %1$I.articles_tag_counts c
                JOIN %1$I.tenant_tags tt ON tt.tenant = c.tenant AND tt.id = c.tag_id
                GROUP BY tt.name
                EXCEPT ALL
                SELECT t.name::text, c.item_count
                FROM ext.tag_item_counts('app.articles') c JOIN ext.tags t ON t.id = c.id) d$sql$, sch)
            INTO n;
        IF n <> 0 THEN
            RAISE EXCEPTION '%: the tenants'' counts differ from app.articles'' in % rows', sch, n;
        END IF;

        FOREACH tenant IN ARRAY ARRAY[1, 2, ntenants] LOOP
            DROP TABLE IF EXISTS expected;
            CREATE TEMP TABLE expected AS
                SELECT * FROM pg_temp.expected_counts(sch, ntenants, tenant);
            -- tag_item_counts in full: the expected names and counts
            SELECT count(*) INTO n
            FROM (SELECT c.name, c.item_count FROM ext.tag_item_counts(target, tenant => tenant) c
                  EXCEPT ALL SELECT e.name, e.item_count FROM expected e) d;
            IF n <> 0 OR (SELECT count(*) FROM ext.tag_item_counts(target, tenant => tenant))
                         <> (SELECT count(*) FROM expected) THEN
                RAISE EXCEPTION '%: tag_item_counts of tenant % differs', sch, tenant;
            END IF;
            -- its top 10: the full list's first ten, the counts expected
            SELECT string_agg(format('%s|%s', name, item_count), ',' ORDER BY o) INTO a
            FROM ext.tag_item_counts(target, 10, tenant => tenant) WITH ORDINALITY AS x(id, name, slug, item_count, o);
            SELECT string_agg(format('%s|%s', name, item_count), ',' ORDER BY o) INTO b
            FROM (SELECT * FROM ext.tag_item_counts(target, tenant => tenant) WITH ORDINALITY AS x(id, name, slug, item_count, o)
                  ORDER BY o LIMIT 10) x;
            IF a IS DISTINCT FROM b OR a IS NULL THEN
                RAISE EXCEPTION '%: tag_item_counts(10) of tenant % differs: % / %', sch, tenant, a, b;
            END IF;
            SELECT string_agg(x.item_count::text, ',' ORDER BY x.item_count DESC) INTO b
            FROM (SELECT e.item_count FROM expected e
                  ORDER BY e.item_count DESC LIMIT 10) x;
            IF (SELECT string_agg(item_count::text, ',' ORDER BY item_count DESC)
                FROM ext.tag_item_counts(target, 10, tenant => tenant)) IS DISTINCT FROM b THEN
                RAISE EXCEPTION '%: the top 10 counts of tenant % differ from %', sch, tenant, b;
            END IF;

            FOREACH sl IN ARRAY ARRAY['tag-1', 'tag-2'] LOOP
                IF ext.tag_item_count(target, sl, tenant => tenant) IS DISTINCT FROM
                   coalesce((SELECT e.item_count FROM expected e
                             WHERE e.name = replace(sl, '-', ' ')), 0) THEN
                    RAISE EXCEPTION '%: tag_item_count(%) of tenant % differs', sch, sl, tenant;
                END IF;
                FOR pg IN 1..2 LOOP
                    EXECUTE format($sql$
                        SELECT string_agg(format('%%s|%%s|%%s', x.tenant_id, x.id, x.published_at), ',' ORDER BY x.ordinality)
                        FROM ext.items_by_tag(NULL::%s, $1, $2, tenant => $3) WITH ORDINALITY AS x$sql$, target)
                        INTO a USING sl, pg, tenant;
                    SELECT string_agg(format('%s|%s|%s', tenant, x.id, x.published_at), ',' ORDER BY x.o) INTO b
                    FROM (SELECT a.id, a.published_at, row_number() OVER (ORDER BY a.published_at DESC, a.id DESC) AS o
                          FROM generate_series(tenant, (SELECT max(id) FROM app.articles), ntenants) i
                          JOIN app.articles a ON a.id = i
                          JOIN app.articles_tags at ON at.item_id = a.id
                          JOIN ext.tags t ON t.id = at.tag_id AND t.slug = sl
                          WHERE a.status = 'published' AND a.deleted_at IS NULL) x
                    WHERE x.o BETWEEN (pg - 1) * 10 + 1 AND pg * 10;
                    IF a IS DISTINCT FROM b THEN
                        RAISE EXCEPTION '%: items_by_tag(%, %) of tenant % differs: % / %', sch, sl, pg, tenant, a, b;
                    END IF;
                END LOOP;
            END LOOP;
        END LOOP;

        -- writes on the first visible item of tenant 2: set (a new name among
        -- them), then remove; the stored list, tenant 2's counts, and nothing
        -- of any other tenant changed
        SELECT min(a.id) INTO item FROM app.articles a
        WHERE (a.id - 1) % ntenants + 1 = 2 AND a.status = 'published' AND a.deleted_at IS NULL;
        EXECUTE format('SELECT count(*) FROM %I.tenant_tags WHERE tenant <> 2', sch) INTO other;
        SELECT string_agg(name, ',' ORDER BY o) INTO a
        FROM ext.item_set_tags(target, item, ARRAY['Tag 2', 'bench other tag', 'tag 1', 'TAG 2'], tenant => 2)
             WITH ORDINALITY AS x(id, name, slug, created_at, o);
        IF a IS DISTINCT FROM 'tag 2,bench other tag,tag 1' THEN
            RAISE EXCEPTION '%: item_set_tags gave %', sch, a;
        END IF;
        SELECT string_agg(name, ',' ORDER BY o) INTO a
        FROM ext.item_remove_tags(target, item, ARRAY['tag 1'], tenant => 2)
             WITH ORDINALITY AS x(id, name, slug, created_at, o);
        SELECT string_agg(name, ',' ORDER BY o) INTO b
        FROM ext.item_get_tags(target, item, tenant => 2) WITH ORDINALITY AS x(id, name, slug, created_at, o);
        IF a IS DISTINCT FROM 'tag 2,bench other tag' OR b IS DISTINCT FROM a THEN
            RAISE EXCEPTION '%: item_remove_tags gave %, item_get_tags %', sch, a, b;
        END IF;
        -- the same writes on app.articles: tenant 2's counts follow them
        PERFORM ext.item_set_tags('app.articles', item, ARRAY['Tag 2', 'bench other tag', 'tag 1', 'TAG 2']);
        PERFORM ext.item_remove_tags('app.articles', item, ARRAY['tag 1']);
        SELECT count(*) INTO n
        FROM (SELECT c.name, c.item_count FROM ext.tag_item_counts(target, tenant => 2) c
              EXCEPT ALL SELECT e.name, e.item_count FROM pg_temp.expected_counts(sch, ntenants, 2) e) d;
        IF n <> 0 THEN
            RAISE EXCEPTION '%: the counts of tenant 2 differ after the writes in % rows', sch, n;
        END IF;
        EXECUTE format('SELECT count(*) FROM %I.tenant_tags WHERE tenant <> 2', sch) INTO n;
        IF n <> other THEN
            RAISE EXCEPTION '%: a write of tenant 2 changed the vocabulary of others', sch;
        END IF;
        -- undo app.articles' writes for the next target
        PERFORM ext.item_set_tags('app.articles', item,
                                  ARRAY(SELECT t.name FROM ext.post_tags pt JOIN ext.tags t ON t.id = pt.tag_id
                                        WHERE pt.post_id = item ORDER BY pt.position));
    END LOOP;

    -- tenant_alone.articles, tenant 1 of tenants_many alone in the one
    -- vocabulary, answers as that tenant: its counts (top 10 in order, and
    -- all) and the first page of tag 1
    SELECT string_agg(format('%s %s', name, item_count), ', ' ORDER BY o) INTO a
    FROM ext.tag_item_counts('tenant_alone.articles', 10) WITH ORDINALITY AS x(id, name, slug, item_count, o);
    SELECT string_agg(format('%s %s', name, item_count), ', ' ORDER BY o) INTO b
    FROM ext.tag_item_counts('tenants_many.articles', 10, tenant => 1) WITH ORDINALITY AS x(id, name, slug, item_count, o);
    IF a IS DISTINCT FROM b OR a IS NULL THEN
        RAISE EXCEPTION 'tenant_alone: tag_item_counts(10) differs from tenant 1 of tenants_many: % / %', a, b;
    END IF;
    -- both ways: a tag counted on one side only is a difference
    SELECT count(*) INTO n
    FROM ((SELECT name, item_count FROM ext.tag_item_counts('tenant_alone.articles') WHERE item_count > 0
           EXCEPT ALL
           SELECT name, item_count FROM ext.tag_item_counts('tenants_many.articles', tenant => 1) WHERE item_count > 0)
          UNION ALL
          (SELECT name, item_count FROM ext.tag_item_counts('tenants_many.articles', tenant => 1) WHERE item_count > 0
           EXCEPT ALL
           SELECT name, item_count FROM ext.tag_item_counts('tenant_alone.articles') WHERE item_count > 0)) d;
    IF n <> 0 THEN
        RAISE EXCEPTION 'tenant_alone: the counts differ from tenant 1 of tenants_many in % rows', n;
    END IF;
    SELECT string_agg(x.id::text, ',' ORDER BY x.ordinality) INTO a
    FROM ext.items_by_tag(NULL::tenant_alone.articles, 'tag-1') WITH ORDINALITY AS x;
    SELECT string_agg(x.id::text, ',' ORDER BY x.ordinality) INTO b
    FROM ext.items_by_tag(NULL::tenants_many.articles, 'tag-1', tenant => 1) WITH ORDINALITY AS x;
    IF a IS DISTINCT FROM b OR a IS NULL THEN
        RAISE EXCEPTION 'tenant_alone: the first page of tag-1 differs from tenant 1 of tenants_many: % / %', a, b;
    END IF;
END
$$;
ROLLBACK;
