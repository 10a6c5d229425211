-- Correctness of the registered target before timing: app.articles holds
-- the rows and associations of ext.posts (data_target.sql), so each item_*
-- function must answer as its posts twin, which check.sql has checked
-- against the reference.  Raises an error (psql exits non-zero) on the
-- first difference.  The writes are rolled back.
-- psql -v popular=SLUG -v rare=SLUG -f bench/check_target.sql
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
SELECT set_config('bench.popular', :'popular', true),
       set_config('bench.rare', :'rare', true) \g /dev/null
DO $$
DECLARE
    n bigint;
    a text;
    b text;
    sl text;
    names text;
    pid integer;
BEGIN
    -- every tag_item_counts row equal to tag_counts, in the same order
    SELECT count(*) INTO n
    FROM ROWS FROM (ext.tag_counts()) WITH ORDINALITY AS e(id, name, slug, post_count, o)
    FULL JOIN ROWS FROM (ext.tag_item_counts('app.articles')) WITH ORDINALITY AS t(id, name, slug, item_count, o)
         ON e.o = t.o
    WHERE (e.id, e.name, e.slug, e.post_count) IS DISTINCT FROM
          (t.id, t.name, t.slug, t.item_count);
    IF n <> 0 THEN
        RAISE EXCEPTION 'tag_item_counts differs from tag_counts in % rows', n;
    END IF;

    -- tag_item_counts(top) for 10 and 1
    FOR n IN SELECT unnest(ARRAY[10, 1]) LOOP
        SELECT string_agg(format('%s|%s', id, post_count), ',' ORDER BY o) INTO a
        FROM ROWS FROM (ext.tag_counts(n::integer)) WITH ORDINALITY AS e(id, name, slug, post_count, o);
        SELECT string_agg(format('%s|%s', id, item_count), ',' ORDER BY o) INTO b
        FROM ROWS FROM (ext.tag_item_counts('app.articles', n::integer)) WITH ORDINALITY AS t(id, name, slug, item_count, o);
        IF a IS DISTINCT FROM b OR a IS NULL THEN
            RAISE EXCEPTION 'tag_item_counts(%) differs: built-in % / target %', n, b, a;
        END IF;
    END LOOP;

    -- the count, pages 1 and 3 of the popular, the rare and two other tags
    FOREACH sl IN ARRAY ARRAY[current_setting('bench.popular'), current_setting('bench.rare'),
                              'tag-2', 'tag-50'] LOOP
        IF ext.tag_post_count(sl) IS DISTINCT FROM ext.tag_item_count('app.articles', sl) THEN
            RAISE EXCEPTION 'tag_item_count(%) differs: built-in % / target %',
                sl, ext.tag_post_count(sl), ext.tag_item_count('app.articles', sl);
        END IF;
        FOR pg IN 1..3 BY 2 LOOP
            SELECT string_agg(format('%s|%s|%s|%s', id, status, created_at, deleted_at), ',' ORDER BY o)
              INTO a FROM ext.posts_by_tag(sl, pg) WITH ORDINALITY AS x(id, title, body, status, created_at, deleted_at, o);
            SELECT string_agg(format('%s|%s|%s|%s', x.id, x.status, x.published_at, x.deleted_at), ',' ORDER BY x.ordinality)
              INTO b FROM ext.items_by_tag(NULL::app.articles, sl, pg) WITH ORDINALITY AS x;
            IF a IS DISTINCT FROM b OR a IS NULL THEN
                RAISE EXCEPTION 'items_by_tag(%, %) differs: built-in % / target %', sl, pg, a, b;
            END IF;
        END LOOP;
    END LOOP;

    -- keyset: the page after the 50th item of the popular tag, and the first
    SELECT string_agg(x.id::text, ',' ORDER BY o) INTO a
    FROM (SELECT created_at, id FROM ext.posts_by_tag(current_setting('bench.popular'), 5, 10)
          OFFSET 9) last,
         LATERAL ext.posts_by_tag_after(current_setting('bench.popular'), last.created_at, last.id)
             WITH ORDINALITY AS x(id, title, body, status, created_at, deleted_at, o);
    SELECT string_agg(x.id::text, ',' ORDER BY x.ordinality) INTO b
    FROM (SELECT ar FROM ext.items_by_tag(NULL::app.articles, current_setting('bench.popular'), 5, 10) ar
          OFFSET 9) last,
         LATERAL ext.items_by_tag_after(NULL::app.articles, current_setting('bench.popular'), last.ar)
             WITH ORDINALITY AS x;
    IF a IS DISTINCT FROM b OR a IS NULL THEN
        RAISE EXCEPTION 'items_by_tag_after differs: built-in % / target %', a, b;
    END IF;
    SELECT string_agg(x.id::text, ',' ORDER BY o) INTO a
    FROM ext.posts_by_tag_after(current_setting('bench.popular'), NULL, NULL)
         WITH ORDINALITY AS x(id, title, body, status, created_at, deleted_at, o);
    SELECT string_agg(x.id::text, ',' ORDER BY x.ordinality) INTO b
    FROM ext.items_by_tag_after(NULL::app.articles, current_setting('bench.popular'), NULL)
         WITH ORDINALITY AS x;
    IF a IS DISTINCT FROM b OR a IS NULL THEN
        RAISE EXCEPTION 'items_by_tag_after(NULL) differs: built-in % / target %', a, b;
    END IF;

    -- items_tagged 'all' of the workloads' names (pages 1 and 2), and 'any'
    FOREACH names IN ARRAY ARRAY['tag 50,tag 51', 'tag 1,tag 2',
                                 'tag 50,tag 51,tag 52,tag 53,tag 54,tag 55,tag 56,tag 57,tag 58,tag 59,tag 60,tag 61,tag 62,tag 63,tag 64,tag 65,tag 66,tag 67,tag 68,tag 69'] LOOP
        FOR pg IN 1..2 LOOP
            IF (SELECT array_agg(x.id ORDER BY o) FROM ext.posts_tagged(string_to_array(names, ','), page => pg)
                    WITH ORDINALITY AS x(id, title, body, status, created_at, deleted_at, o))
               IS DISTINCT FROM
               (SELECT array_agg(x.id::integer ORDER BY x.ordinality) FROM ext.items_tagged(NULL::app.articles, string_to_array(names, ','), page => pg)
                    WITH ORDINALITY AS x) THEN
                RAISE EXCEPTION 'items_tagged(%, page %) differs', names, pg;
            END IF;
        END LOOP;
        IF (SELECT array_agg(x.id ORDER BY o) FROM ext.posts_tagged(string_to_array(names, ','), 'any')
                WITH ORDINALITY AS x(id, title, body, status, created_at, deleted_at, o))
           IS DISTINCT FROM
           (SELECT array_agg(x.id::integer ORDER BY x.ordinality) FROM ext.items_tagged(NULL::app.articles, string_to_array(names, ','), 'any')
                WITH ORDINALITY AS x) THEN
            RAISE EXCEPTION 'items_tagged(%, any) differs', names;
        END IF;
    END LOOP;

    -- related items of a few posts: the same ids and shared counts
    FOREACH pid IN ARRAY ARRAY[1, 7, 100, 1000] LOOP
        SELECT string_agg(format('%s|%s', id, shared_tags), ',' ORDER BY o) INTO a
        FROM ext.posts_related(pid) WITH ORDINALITY AS x(id, title, body, status, created_at, deleted_at, shared_tags, o);
        SELECT string_agg(format('%s|%s', (x.item).id, x.shared_tags), ',' ORDER BY o) INTO b
        FROM ext.items_related((SELECT ar FROM app.articles ar WHERE ar.id = pid)) WITH ORDINALITY AS x(item, shared_tags, o);
        IF a IS DISTINCT FROM b THEN
            RAISE EXCEPTION 'items_related(%) differs: built-in % / target %', pid, a, b;
        END IF;
    END LOOP;

    -- stored tags of a few items
    FOREACH pid IN ARRAY ARRAY[1, 7, 100, 1000] LOOP
        SELECT string_agg(name, ',' ORDER BY o) INTO a
        FROM ext.post_get_tags(pid) WITH ORDINALITY AS x(id, name, slug, created_at, o);
        SELECT string_agg(name, ',' ORDER BY o) INTO b
        FROM ext.item_get_tags('app.articles', pid) WITH ORDINALITY AS x(id, name, slug, created_at, o);
        IF a IS DISTINCT FROM b OR a IS NULL THEN
            RAISE EXCEPTION 'item_get_tags(%) differs: built-in % / target %', pid, a, b;
        END IF;
    END LOOP;

    -- set, add, remove on item 7: the returned list, the stored list, then
    -- every count again
    SELECT string_agg(name, ',' ORDER BY o) INTO a
    FROM ext.post_set_tags(7, ARRAY['Tag 2', 'bench other tag', 'tag 1', 'TAG 2'])
         WITH ORDINALITY AS x(id, name, slug, created_at, o);
    SELECT string_agg(name, ',' ORDER BY o) INTO b
    FROM ext.item_set_tags('app.articles', 7, ARRAY['Tag 2', 'bench other tag', 'tag 1', 'TAG 2'])
         WITH ORDINALITY AS x(id, name, slug, created_at, o);
    IF a IS DISTINCT FROM b OR a IS NULL THEN
        RAISE EXCEPTION 'item_set_tags differs: built-in % / target %', a, b;
    END IF;
    SELECT string_agg(name, ',' ORDER BY o) INTO a
    FROM ext.post_add_tags(7, ARRAY['tag 3', 'tag 2'])
         WITH ORDINALITY AS x(id, name, slug, created_at, o);
    SELECT string_agg(name, ',' ORDER BY o) INTO b
    FROM ext.item_add_tags('app.articles', 7, ARRAY['tag 3', 'tag 2'])
         WITH ORDINALITY AS x(id, name, slug, created_at, o);
    IF a IS DISTINCT FROM b OR a IS NULL THEN
        RAISE EXCEPTION 'item_add_tags differs: built-in % / target %', a, b;
    END IF;
    SELECT string_agg(name, ',' ORDER BY o) INTO a
    FROM ext.post_remove_tags(7, ARRAY['tag 1'])
         WITH ORDINALITY AS x(id, name, slug, created_at, o);
    SELECT string_agg(name, ',' ORDER BY o) INTO b
    FROM ext.item_remove_tags('app.articles', 7, ARRAY['tag 1'])
         WITH ORDINALITY AS x(id, name, slug, created_at, o);
    IF a IS DISTINCT FROM b OR a IS NULL THEN
        RAISE EXCEPTION 'item_remove_tags differs: built-in % / target %', a, b;
    END IF;
    SELECT string_agg(name, ',' ORDER BY o) INTO a
    FROM ext.post_get_tags(7) WITH ORDINALITY AS x(id, name, slug, created_at, o);
    SELECT string_agg(name, ',' ORDER BY o) INTO b
    FROM ext.item_get_tags('app.articles', 7) WITH ORDINALITY AS x(id, name, slug, created_at, o);
    IF a IS DISTINCT FROM b OR a IS NULL THEN
        RAISE EXCEPTION 'stored tags of item 7 differ: built-in % / target %', a, b;
    END IF;
    SELECT count(*) INTO n
    FROM (SELECT id, post_count FROM ext.tag_counts()
          EXCEPT ALL SELECT id, item_count FROM ext.tag_item_counts('app.articles')) d;
    IF n <> 0 THEN
        RAISE EXCEPTION 'tag_item_counts differs after the writes in % rows', n;
    END IF;
    FOREACH sl IN ARRAY ARRAY['tag-1', 'tag-2', 'tag-3', 'bench-other-tag'] LOOP
        IF ext.tag_post_count(sl) IS DISTINCT FROM ext.tag_item_count('app.articles', sl) THEN
            RAISE EXCEPTION 'tag_item_count(%) differs after the writes: built-in % / target %',
                sl, ext.tag_post_count(sl), ext.tag_item_count('app.articles', sl);
        END IF;
    END LOOP;
END
$$;
ROLLBACK;
