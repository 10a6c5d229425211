-- Tenant targets: the items of app.articles (data_target.sql) spread over
-- :tenants_few tenants, in tenants_few.articles, and over :tenants_many, in
-- tenants_many.articles, each tenant with a vocabulary of its own.  Called
-- by data.sql (when it is given tenants_many) once app.articles is loaded,
-- before its VACUUM.
--
-- Each table has app.articles' columns and rows, and a tenant column
-- first: item i belongs to tenant 1 + (i - 1) % N (the tenants' items
-- interleave, as they arrive in an application that serves them all), and
-- the primary key is (tenant_id, id).  It is made taggable with
-- tags_enable(..., tenant_column => 'tenant_id'), which makes the schema's
-- vocabulary, tenant_tags.  Each item has the tags it has in app.articles,
-- in the same positions, but its tenant's: tag j of ext.tags ('tag j',
-- slug tag-j) is, in tenant t, tenant_tags (t, (t - 1) * :ntags + j) of the
-- same name and slug.  A tenant's vocabulary holds the tags its items have,
-- and tags 1 to :tenant_vocab (the names the write workload draws, so that
-- they exist in every tenant, as tags a tenant has made and no longer
-- uses).  The associations go in as app.articles_tags' do: one INSERT ...
-- SELECT in (item, position) order, through the triggers and foreign keys,
-- then tags_fold_counts().  bench_load_times keeps how long each took.
-- Last, tenant_alone.articles: tenant 1 of tenants_many's items alone in a
-- target of the one vocabulary (below).
--
-- Each step commits: the extension takes a transaction-level advisory lock
-- for each tenant whose tags it writes (the slug choice) and for each
-- tenant whose deltas it folds, so that one transaction that did all of it
-- for 10 000 tenants would need some 20 000 locks, more than the lock table
-- holds (max_locks_per_transaction, run.sh).

DROP SCHEMA IF EXISTS tenants_few CASCADE;
DROP SCHEMA IF EXISTS tenants_many CASCADE;
DROP SCHEMA IF EXISTS tenant_alone CASCADE;

CREATE PROCEDURE pg_temp.make_tenant_target(sch text, ntenants integer,
                                            ntags integer, vocab integer)
LANGUAGE plpgsql AS $$
DECLARE
    start timestamptz;
BEGIN
    IF ntenants::bigint * ntags > 2147483647 THEN
        RAISE EXCEPTION '% tenants of % tags overflow tenant_tags.id', ntenants, ntags;
    END IF;
    EXECUTE format('CREATE SCHEMA %I', sch);
    EXECUTE format($sql$
        CREATE TABLE %I.articles (
            tenant_id       integer NOT NULL,
            id              bigint NOT NULL,
            title           text NOT NULL,
            body            text NOT NULL DEFAULT '',
            status          text NOT NULL DEFAULT 'draft'
                            CHECK (status IN ('draft', 'published', 'archived')),
            author          text,
            lang            text NOT NULL DEFAULT 'en',
            word_count      integer NOT NULL DEFAULT 0,
            published_at    timestamptz NOT NULL,
            updated_at      timestamptz,
            deleted_at      timestamptz,
            PRIMARY KEY (tenant_id, id)
        )$sql$, sch);
    EXECUTE format('CREATE INDEX ON %I.articles (author)', sch);
    COMMIT;
    EXECUTE format($sql$
        INSERT INTO %I.articles
        SELECT 1 + (id - 1) %% %s, id, title, body, status, author, lang,
               word_count, published_at, updated_at, deleted_at
        FROM app.articles ORDER BY id$sql$, sch, ntenants);
    PERFORM ext.tags_enable(format('%I.articles', sch)::regclass,
                            'status = ''published'' AND deleted_at IS NULL',
                            'published_at', 'tenant_id');
    COMMIT;
    EXECUTE format($sql$
        INSERT INTO %1$I.tenant_tags (tenant, id, name, slug, created_at)
        SELECT v.tenant, (v.tenant - 1) * %3$s + v.j, 'tag ' || v.j, 'tag-' || v.j,
               timestamptz '2015-01-01 00:00+00'
        FROM (SELECT 1 + (pt.post_id - 1) %% %2$s AS tenant, pt.tag_id AS j
              FROM ext.post_tags pt
              UNION
              SELECT t, j FROM generate_series(1, %2$s) t, generate_series(1, %4$s) j) v
        ORDER BY 1, 2$sql$, sch, ntenants, ntags, vocab);
    EXECUTE format($sql$SELECT setval(pg_get_serial_sequence('%1$I.tenant_tags', 'id'),
                                      %2$s::bigint * %3$s)$sql$, sch, ntenants, ntags);
    COMMIT;
    start := clock_timestamp();
    EXECUTE format($sql$
        INSERT INTO %1$I.articles_tags (tenant, item_id, tag_id, position)
        SELECT 1 + (pt.post_id - 1) %% %2$s, pt.post_id,
               ((pt.post_id - 1) %% %2$s) * %3$s + pt.tag_id, pt.position
        FROM ext.post_tags pt ORDER BY pt.post_id, pt.position$sql$,
        sch, ntenants, ntags);
    COMMIT;
    PERFORM ext.tags_fold_counts();
    INSERT INTO bench_load_times
    SELECT sch || '.articles_tags', extract(epoch FROM clock_timestamp() - start);
END
$$;

CALL pg_temp.make_tenant_target('tenants_few', :tenants_few, :ntags, :tenant_vocab);
CALL pg_temp.make_tenant_target('tenants_many', :tenants_many, :ntags, :tenant_vocab);

-- Tenant 1 of tenants_many alone, as 1.2 would hold it: its items (every
-- :tenants_many-th of app.articles) in a target without tenants, of the
-- one vocabulary (ext.tags), with the same tags.  A tenant of 100 items has
-- small counts, many of them equal, and tag_item_counts looks up the name
-- of every tag tied at its cut: the same call on the same items of one
-- vocabulary does the same, which app.articles' 1 000 000 items do not.
CREATE SCHEMA tenant_alone;
CREATE TABLE tenant_alone.articles (LIKE app.articles INCLUDING ALL);
INSERT INTO tenant_alone.articles
SELECT * FROM app.articles WHERE (id - 1) % :tenants_many = 0 ORDER BY id;
SELECT ext.tags_enable('tenant_alone.articles',
                       'status = ''published'' AND deleted_at IS NULL',
                       'published_at') \g /dev/null
INSERT INTO tenant_alone.articles_tags (item_id, tag_id, position)
SELECT item_id, tag_id, position FROM app.articles_tags
WHERE (item_id - 1) % :tenants_many = 0 ORDER BY item_id, position;
SELECT ext.tags_fold_counts() \g /dev/null
