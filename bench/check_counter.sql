-- Correctness of the reference with a counter cache (reference_counter.sql,
-- schema refc) before timing: its writers answer as the reference's (ref,
-- which check.sql has checked against the extension), and its counter
-- holds the live count of visible posts, before and after writes of every
-- kind it must follow: post_set_tags, a post hidden (draft, soft-deleted),
-- shown again, deleted, a tag deleted.  Raises an error (psql exits
-- non-zero) on the first difference.  The writes are rolled back.
-- psql -f bench/check_counter.sql
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
BEGIN;
CREATE FUNCTION pg_temp.counter_errors()
RETURNS bigint
LANGUAGE sql AS $$
    SELECT count(*)
    FROM refc.tags t
    LEFT JOIN (SELECT pt.tag_id, count(*) AS n
               FROM refc.post_tags pt JOIN refc.posts p ON p.id = pt.post_id
               WHERE p.status = 'published' AND p.deleted_at IS NULL
               GROUP BY pt.tag_id) l ON l.tag_id = t.id
    WHERE t.post_count <> coalesce(l.n, 0)
$$;
DO $$
DECLARE
    n bigint;
    a text;
    b text;
    hidden integer[];
BEGIN
    -- the cache as loaded: every count equal to the reference's live count
    SELECT count(*) INTO n
    FROM (SELECT id, name, slug, post_count FROM refc.tag_counts()
          EXCEPT ALL SELECT id, name, slug, post_count FROM ref.tag_counts()) d;
    IF n <> 0 THEN
        RAISE EXCEPTION 'the counter cache differs from the live count in % rows', n;
    END IF;

    -- get-or-create and set: the same answers as the reference's
    SELECT string_agg(name || '=' || slug, ',' ORDER BY o) INTO a
    FROM ref.tags_get_or_create(ARRAY['Tag 3', ' tag 1 ', 'bench new tag', 'TAG 3', NULL, ''])
         WITH ORDINALITY AS x(id, name, slug, created_at, o);
    -- (refc.tags has one more column, the counter)
    SELECT string_agg(x.name || '=' || x.slug, ',' ORDER BY x.ordinality) INTO b
    FROM refc.tags_get_or_create(ARRAY['Tag 3', ' tag 1 ', 'bench new tag', 'TAG 3', NULL, ''])
         WITH ORDINALITY AS x;
    IF a IS DISTINCT FROM b OR a IS NULL THEN
        RAISE EXCEPTION 'tags_get_or_create differs: ref % / refc %', a, b;
    END IF;
    FOR pid IN 7..9 LOOP
        SELECT string_agg(name, ',' ORDER BY o) INTO a
        FROM ref.post_set_tags(pid, ARRAY['Tag 2', 'bench other tag', 'tag 1', 'TAG 2'])
             WITH ORDINALITY AS x(id, name, slug, created_at, o);
        SELECT string_agg(x.name, ',' ORDER BY x.ordinality) INTO b
        FROM refc.post_set_tags(pid, ARRAY['Tag 2', 'bench other tag', 'tag 1', 'TAG 2'])
             WITH ORDINALITY AS x;
        IF a IS DISTINCT FROM b OR a IS NULL THEN
            RAISE EXCEPTION 'post_set_tags(%) differs: ref % / refc %', pid, a, b;
        END IF;
    END LOOP;
    n := pg_temp.counter_errors();
    IF n <> 0 THEN
        RAISE EXCEPTION 'the counter cache is wrong for % tags after post_set_tags', n;
    END IF;

    -- visibility: 100 visible posts hidden (half drafts, half soft-deleted),
    -- then shown again, then deleted; 100 hidden posts deleted; a tag deleted
    SELECT array_agg(id) INTO hidden
    FROM (SELECT id FROM refc.posts WHERE status = 'published' AND deleted_at IS NULL
          ORDER BY id LIMIT 100) v;
    UPDATE refc.posts SET status = 'draft' WHERE id = ANY (hidden[1:50]);
    UPDATE refc.posts SET deleted_at = now() WHERE id = ANY (hidden[51:100]);
    n := pg_temp.counter_errors();
    IF n <> 0 THEN
        RAISE EXCEPTION 'the counter cache is wrong for % tags after posts were hidden', n;
    END IF;
    UPDATE refc.posts SET status = 'published', deleted_at = NULL WHERE id = ANY (hidden);
    n := pg_temp.counter_errors();
    IF n <> 0 THEN
        RAISE EXCEPTION 'the counter cache is wrong for % tags after posts were shown', n;
    END IF;
    DELETE FROM refc.posts WHERE id = ANY (hidden);
    DELETE FROM refc.posts
    WHERE id IN (SELECT id FROM refc.posts WHERE status <> 'published' ORDER BY id LIMIT 100);
    DELETE FROM refc.tags WHERE name = 'tag 2';
    n := pg_temp.counter_errors();
    IF n <> 0 THEN
        RAISE EXCEPTION 'the counter cache is wrong for % tags after posts were deleted', n;
    END IF;
END
$$;
ROLLBACK;
