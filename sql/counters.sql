-- The counters and the copies of the posts in post_tags against an oracle:
-- random mixes of every write path, the functions and plain SQL, then every
-- count compared with the GROUP BY it stands for.

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;

-- what the readers must give, computed from the tables alone
CREATE FUNCTION pg_temp.oracle() RETURNS TABLE (id integer, post_count bigint)
LANGUAGE sql AS $$
    SELECT t.id, count(p.id)
    FROM tags t
    LEFT JOIN post_tags pt ON pt.tag_id = t.id
    LEFT JOIN posts p ON p.id = pt.post_id
         AND p.status = 'published' AND p.deleted_at IS NULL
    GROUP BY t.id
$$;

-- every way the kept state can differ from the oracle, as text; empty when
-- it is right
CREATE FUNCTION pg_temp.differences() RETURNS SETOF text
LANGUAGE sql AS $$
    -- tag_counts(): the oracle's counts, in its order
    SELECT format('tag_counts: tag %s has %s, the oracle %s', o.id, c.post_count, o.post_count)
    FROM pg_temp.oracle() o FULL JOIN tag_counts() c ON c.id = o.id
    WHERE c.post_count IS DISTINCT FROM o.post_count
    UNION ALL
    SELECT 'tag_counts: not in the oracle''s order'
    WHERE ARRAY(SELECT c.id FROM tag_counts() c)
          IS DISTINCT FROM
          ARRAY(SELECT o.id FROM pg_temp.oracle() o JOIN tags t ON t.id = o.id
                ORDER BY o.post_count DESC, t.name)
    UNION ALL
    -- tag_post_count() of every tag
    SELECT format('tag_post_count: tag %s has %s, the oracle %s', o.id, tag_post_count(t.slug), o.post_count)
    FROM pg_temp.oracle() o JOIN tags t ON t.id = o.id
    WHERE tag_post_count(t.slug) <> o.post_count
    UNION ALL
    -- tag_counts(top) is the first top rows of tag_counts(), for every top
    SELECT format('tag_counts(%s) is not the first %s rows of tag_counts()', top, top)
    FROM generate_series(0, (SELECT count(*) FROM tags)::int + 1) AS top
    WHERE ARRAY(SELECT row(c.*)::text FROM tag_counts(top) c)
       IS DISTINCT FROM ARRAY(SELECT row(c.*)::text FROM tag_counts() c LIMIT top)
    UNION ALL
    -- every association's copy of its post
    SELECT format('post_tags (%s, %s) has (%s, %s), its post (%s, %s)',
                  pt.post_id, pt.tag_id, pt.post_visible, pt.post_created_at,
                  p.status = 'published' AND p.deleted_at IS NULL, p.created_at)
    FROM post_tags pt JOIN posts p ON p.id = pt.post_id
    WHERE pt.post_visible <> (p.status = 'published' AND p.deleted_at IS NULL)
       OR pt.post_created_at <> p.created_at
    UNION ALL
    -- every tag's pages, newest first, with ties by id
    SELECT format('posts_by_tag(%L) is not the oracle''s list', t.slug)
    FROM tags t
    WHERE ARRAY(SELECT b.id FROM generate_series(1, 20) AS page,
                     LATERAL posts_by_tag(t.slug, page, 3) WITH ORDINALITY AS b
                ORDER BY page, b.ordinality)
       IS DISTINCT FROM
          ARRAY(SELECT p.id FROM post_tags pt JOIN posts p ON p.id = pt.post_id
                WHERE pt.tag_id = t.id AND p.status = 'published' AND p.deleted_at IS NULL
                ORDER BY p.created_at DESC, p.id DESC)
$$;

-- one random write, by any of the paths; returns what it did
CREATE FUNCTION pg_temp.random_write() RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    r float8 := random();
    post integer := 1 + floor(random() * 40)::int;
    names text[] := ARRAY(SELECT 'Tag ' || (1 + floor(random() * 25)::int)
                          FROM generate_series(1, floor(random() * 5)::int));
    other integer := 1 + floor(random() * 40)::int;
BEGIN
    IF r < 0.12 THEN
        PERFORM post_set_tags(post, names);
        RETURN 'post_set_tags';
    ELSIF r < 0.20 THEN
        PERFORM post_add_tags(post, names);
        RETURN 'post_add_tags';
    ELSIF r < 0.26 THEN
        PERFORM post_remove_tags(post, names);
        RETURN 'post_remove_tags';
    ELSIF r < 0.30 THEN
        PERFORM tags_get_or_create(names);
        RETURN 'tags_get_or_create';
    ELSIF r < 0.38 THEN
        -- an ORM's insert, several rows, some claiming the wrong copy
        INSERT INTO post_tags (post_id, tag_id, post_visible, post_created_at)
        SELECT post, t.id, random() < 0.5, now() - interval '1 year'
        FROM tags t WHERE t.name = ANY (SELECT tag_normalize(n) FROM unnest(names) n)
        ON CONFLICT DO NOTHING;
        RETURN 'INSERT INTO post_tags';
    ELSIF r < 0.43 THEN
        DELETE FROM post_tags WHERE post_id = post
          AND tag_id IN (SELECT tag_id FROM post_tags WHERE post_id = post LIMIT 1);
        RETURN 'DELETE FROM post_tags';
    ELSIF r < 0.46 THEN
        -- an association moved to another post, or to another tag
        UPDATE post_tags SET post_id = other
        WHERE post_id = post AND NOT EXISTS (SELECT FROM post_tags o
                                             WHERE o.post_id = other AND o.tag_id = post_tags.tag_id)
          AND tag_id = (SELECT min(tag_id) FROM post_tags WHERE post_id = post);
        UPDATE post_tags SET tag_id = (SELECT max(id) FROM tags)
        WHERE post_id = other AND NOT EXISTS (SELECT FROM post_tags o
                                              WHERE o.post_id = other
                                                AND o.tag_id = (SELECT max(id) FROM tags))
          AND tag_id = (SELECT min(tag_id) FROM post_tags WHERE post_id = other);
        RETURN 'UPDATE post_tags SET post_id, tag_id';
    ELSIF r < 0.49 THEN
        -- a forged copy is put right
        UPDATE post_tags SET post_visible = NOT post_visible,
                             post_created_at = post_created_at + interval '1 day'
        WHERE post_id = post;
        RETURN 'UPDATE post_tags SET post_visible';
    ELSIF r < 0.60 THEN
        UPDATE posts SET status = (ARRAY['draft', 'published', 'published', 'archived'])[1 + floor(random() * 4)::int]
        WHERE id = post;
        RETURN 'UPDATE posts SET status';
    ELSIF r < 0.67 THEN
        UPDATE posts SET deleted_at = CASE WHEN deleted_at IS NULL THEN now() END
        WHERE id = post;
        RETURN 'UPDATE posts SET deleted_at';
    ELSIF r < 0.71 THEN
        UPDATE posts SET created_at = created_at - floor(random() * 3)::int * interval '1 hour'
        WHERE id BETWEEN post AND post + 3;
        RETURN 'UPDATE posts SET created_at';
    ELSIF r < 0.74 THEN
        DELETE FROM posts WHERE id = post;
        INSERT INTO posts (id, title, status, created_at)
        VALUES (post, 'again', 'published', timestamptz '2024-01-01' + post * interval '1 hour');
        RETURN 'DELETE FROM posts';
    ELSIF r < 0.76 THEN
        DELETE FROM tags WHERE name = tag_normalize(coalesce(names[1], 'tag 1'));
        RETURN 'DELETE FROM tags';
    ELSIF r < 0.80 THEN
        -- a write that is rolled back leaves no delta
        BEGIN
            PERFORM post_set_tags(post, names || 'rolled back'::text);
            UPDATE posts SET status = 'published', deleted_at = NULL WHERE id = other;
            RAISE EXCEPTION 'roll back';
        EXCEPTION WHEN raise_exception THEN
            NULL;
        END;
        RETURN 'rolled back';
    ELSIF r < 0.82 THEN
        PERFORM tags_fold_counts();
        RETURN 'tags_fold_counts';
    ELSE
        -- many associations at once, as a bulk load
        INSERT INTO post_tags (post_id, tag_id)
        SELECT p.id, t.id FROM posts p, tags t
        WHERE p.id % 7 = post % 7 AND t.id % 5 = other % 5
        ON CONFLICT DO NOTHING;
        RETURN 'bulk INSERT INTO post_tags';
    END IF;
END
$$;

SELECT setseed(0.25);
INSERT INTO posts (id, title, status, created_at)
SELECT i, 'post ' || i, CASE WHEN i % 4 = 0 THEN 'draft' ELSE 'published' END,
       -- some posts share a created_at: pages break the tie by id
       timestamptz '2024-01-01' + (i / 2) * interval '1 hour'
FROM generate_series(1, 40) AS i;

-- 40 rounds of 25 writes; the state is checked after each round, and, in
-- the round's transaction, before it commits
CREATE TEMP TABLE writes (round integer, kind text);
CREATE TEMP TABLE found (round integer, difference text);
DO $$
BEGIN
    FOR round IN 1..40 LOOP
        INSERT INTO writes SELECT round, pg_temp.random_write() FROM generate_series(1, 25);
        INSERT INTO found SELECT round, d FROM pg_temp.differences() AS d;
    END LOOP;
END
$$;

-- every path was taken (the counts are fixed by the seed)
SELECT kind, count(*) FROM writes GROUP BY kind ORDER BY kind;
-- the rounds left tags with posts and deltas to fold
SELECT count(*) > 20 AS many_tags, count(*) FILTER (WHERE post_count > 0) > 10 AS many_used
FROM tag_counts();

-- no difference, ever
SELECT * FROM found ORDER BY round LIMIT 10;
SELECT * FROM pg_temp.differences();

-- folding changes no count
SELECT tags_fold_counts() > 0 AS folded;
SELECT count(*) AS pending FROM tag_post_count_deltas;
SELECT * FROM pg_temp.differences();

-- counts are the transaction's: a rolled-back write leaves none, and a
-- savepoint rolled back leaves the rest
BEGIN;
SELECT post_count AS before FROM tag_counts() WHERE name = 'tag 3' \gset
SELECT count(*) FROM post_set_tags(1, ARRAY['tag 3']);
SAVEPOINT s;
SELECT count(*) FROM post_set_tags(2, ARRAY['tag 3']);
ROLLBACK TO SAVEPOINT s;
SELECT * FROM pg_temp.differences();
ROLLBACK;
SELECT post_count = :before AS unchanged FROM tag_counts() WHERE name = 'tag 3';

-- TRUNCATE empties the counters too
TRUNCATE post_tags;
SELECT (SELECT count(*) FROM tag_post_counts) AS folded,
       (SELECT count(*) FROM tag_post_count_deltas) AS pending;
SELECT count(*) FILTER (WHERE post_count <> 0) AS counted FROM tag_counts();
SELECT * FROM pg_temp.differences();
