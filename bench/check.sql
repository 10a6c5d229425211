-- Correctness before timing: the extension and the reference must give the
-- same answers on the same data.  Raises an error (psql exits non-zero) on
-- the first difference.  The writes are rolled back.
-- psql -v popular=SLUG -v rare=SLUG -f bench/check.sql
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
BEGIN
    -- every tag_counts row equal, in the same order
    SELECT count(*) INTO n
    FROM ROWS FROM (ext.tag_counts()) WITH ORDINALITY AS e(id, name, slug, post_count, o)
    FULL JOIN ROWS FROM (ref.tag_counts()) WITH ORDINALITY AS r(id, name, slug, post_count, o)
         ON e.o = r.o
    WHERE (e.id, e.name, e.slug, e.post_count) IS DISTINCT FROM
          (r.id, r.name, r.slug, r.post_count);
    IF n <> 0 THEN
        RAISE EXCEPTION 'tag_counts differ in % rows', n;
    END IF;
    SELECT count(*) INTO n FROM ext.tag_counts();
    RAISE NOTICE 'tag_counts: % rows agree', n;

    -- page 1 (and page 3) of the popular and of the rare tag
    FOREACH sl IN ARRAY ARRAY[current_setting('bench.popular'), current_setting('bench.rare')] LOOP
        FOR pg IN 1..3 BY 2 LOOP
            SELECT string_agg(format('%s|%s|%s|%s|%s|%s', id, title, body, status, created_at, deleted_at), ',' ORDER BY o)
              INTO a FROM ext.posts_by_tag(sl, pg) WITH ORDINALITY AS x(id, title, body, status, created_at, deleted_at, o);
            SELECT string_agg(format('%s|%s|%s|%s|%s|%s', id, title, body, status, created_at, deleted_at), ',' ORDER BY o)
              INTO b FROM ref.posts_by_tag(sl, pg) WITH ORDINALITY AS x(id, title, body, status, created_at, deleted_at, o);
            IF a IS DISTINCT FROM b OR a IS NULL THEN
                RAISE EXCEPTION 'posts_by_tag(%, %) differs: ext % / ref %', sl, pg, a, b;
            END IF;
        END LOOP;
    END LOOP;

    -- tag_counts(10): the reference's first ten
    SELECT string_agg(format('%s|%s', id, post_count), ',' ORDER BY o) INTO a
    FROM ROWS FROM (ext.tag_counts(10)) WITH ORDINALITY AS e(id, name, slug, post_count, o);
    SELECT string_agg(format('%s|%s', id, post_count), ',' ORDER BY o) INTO b
    FROM (SELECT * FROM ROWS FROM (ref.tag_counts()) WITH ORDINALITY AS r(id, name, slug, post_count, o)
          ORDER BY o LIMIT 10) r;
    IF a IS DISTINCT FROM b OR a IS NULL THEN
        RAISE EXCEPTION 'tag_counts(10) differs: ext % / ref %', a, b;
    END IF;

    -- the keyset page after the 50th post of the popular tag is the
    -- reference's page 6
    SELECT string_agg(x.id::text, ',' ORDER BY o) INTO a
    FROM (SELECT created_at, id FROM ext.posts_by_tag(current_setting('bench.popular'), 5, 10)
          OFFSET 9) last,
         LATERAL ext.posts_by_tag_after(current_setting('bench.popular'), last.created_at, last.id)
             WITH ORDINALITY AS x(id, title, body, status, created_at, deleted_at, o);
    SELECT string_agg(x.id::text, ',' ORDER BY o) INTO b
    FROM ref.posts_by_tag(current_setting('bench.popular'), 6)
         WITH ORDINALITY AS x(id, title, body, status, created_at, deleted_at, o);
    IF a IS DISTINCT FROM b OR a IS NULL THEN
        RAISE EXCEPTION 'posts_by_tag_after differs: ext % / ref %', a, b;
    END IF;

    -- posts_tagged 'all' of the workloads' names, and of two popular
    -- tags (a full page), against one join per tag
    FOREACH a IN ARRAY ARRAY['tag 50,tag 51', 'tag 1,tag 2',
                             'tag 50,tag 51,tag 52,tag 53,tag 54,tag 55,tag 56,tag 57,tag 58,tag 59,tag 60,tag 61,tag 62,tag 63,tag 64,tag 65,tag 66,tag 67,tag 68,tag 69'] LOOP
        IF (SELECT array_agg(x.id ORDER BY o) FROM ext.posts_tagged(string_to_array(a, ','), page => 2)
                WITH ORDINALITY AS x(id, title, body, status, created_at, deleted_at, o))
           IS DISTINCT FROM
           (SELECT array_agg(x.id ORDER BY o) FROM ref.posts_tagged(string_to_array(a, ','), 2)
                WITH ORDINALITY AS x(id, title, body, status, created_at, deleted_at, o)) THEN
            RAISE EXCEPTION 'posts_tagged(%) differs', a;
        END IF;
    END LOOP;

    -- get-or-create: existing names in other spellings, a duplicate, a new name
    SELECT string_agg(name || '=' || slug, ',' ORDER BY o) INTO a
    FROM ext.tags_get_or_create(ARRAY['Tag 3', ' tag 1 ', 'bench new tag', 'TAG 3', NULL, ''])
         WITH ORDINALITY AS x(id, name, slug, created_at, o);
    SELECT string_agg(name || '=' || slug, ',' ORDER BY o) INTO b
    FROM ref.tags_get_or_create(ARRAY['Tag 3', ' tag 1 ', 'bench new tag', 'TAG 3', NULL, ''])
         WITH ORDINALITY AS x(id, name, slug, created_at, o);
    IF a IS DISTINCT FROM b OR a IS NULL THEN
        RAISE EXCEPTION 'tags_get_or_create differs: ext % / ref %', a, b;
    END IF;

    -- set: the returned list, then the stored list and the counts again
    SELECT string_agg(name, ',' ORDER BY o) INTO a
    FROM ext.post_set_tags(7, ARRAY['Tag 2', 'bench other tag', 'tag 1', 'TAG 2'])
         WITH ORDINALITY AS x(id, name, slug, created_at, o);
    SELECT string_agg(name, ',' ORDER BY o) INTO b
    FROM ref.post_set_tags(7, ARRAY['Tag 2', 'bench other tag', 'tag 1', 'TAG 2'])
         WITH ORDINALITY AS x(id, name, slug, created_at, o);
    IF a IS DISTINCT FROM b OR a IS NULL THEN
        RAISE EXCEPTION 'post_set_tags differs: ext % / ref %', a, b;
    END IF;
    SELECT string_agg(name, ',' ORDER BY o) INTO a
    FROM ext.post_get_tags(7) WITH ORDINALITY AS x(id, name, slug, created_at, o);
    SELECT string_agg(t.name, ',' ORDER BY pt.position NULLS LAST, t.id) INTO b
    FROM ref.post_tags pt JOIN ref.tags t ON t.id = pt.tag_id WHERE pt.post_id = 7;
    IF a IS DISTINCT FROM b THEN
        RAISE EXCEPTION 'stored tags of post 7 differ: ext % / ref %', a, b;
    END IF;
    SELECT count(*) INTO n
    FROM (SELECT name, post_count FROM ext.tag_counts()
          EXCEPT ALL SELECT name, post_count FROM ref.tag_counts()) d;
    IF n <> 0 THEN
        RAISE EXCEPTION 'tag_counts differ after the writes in % rows', n;
    END IF;
END
$$;
ROLLBACK;
