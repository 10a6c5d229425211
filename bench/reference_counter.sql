-- The second reference for writes: the reference (reference.sql, schema
-- ref) plus the counter cache that acts-as-taggable-on (tags.taggings_count)
-- and WordPress (the count of wp_term_taxonomy) keep, in schema "refc": a
-- per-tag count of the visible posts, kept by a row trigger on the
-- association table, and by one on the posts for a change of visibility.
-- Its tables are ref's (CREATE TABLE ... LIKE), its get-or-create is ref's
-- copied with the schema renamed, and its post_set_tags is ref's with one
-- statement more, which a counter cache needs once clients write at once:
-- it locks the rows of the tags the call will count, in the order of their
-- ids, before the first count, so that two writers never wait for each
-- other's tags in opposite orders.  Without it (bench.counter_lock_order =
-- off, for comparison) eight clients deadlock on the popular tags, each
-- deadlock a second (deadlock_timeout) of several clients waiting.  Called
-- by data.sql once the rows are in ref, before its VACUUM: the rows are
-- copied first and the counter filled by one statement, as a migration
-- that adds a counter cache to an existing table does, then the triggers
-- keep it.

CREATE SCHEMA refc;

CREATE TABLE refc.posts (LIKE ref.posts INCLUDING ALL);
CREATE TABLE refc.tags (LIKE ref.tags INCLUDING ALL);
CREATE TABLE refc.post_tags (LIKE ref.post_tags INCLUDING ALL);
INSERT INTO refc.posts SELECT * FROM ref.posts ORDER BY id;
INSERT INTO refc.tags SELECT * FROM ref.tags ORDER BY id;
INSERT INTO refc.post_tags SELECT * FROM ref.post_tags ORDER BY post_id, tag_id;
ALTER TABLE refc.post_tags
    ADD CONSTRAINT post_tags_post_id_fkey FOREIGN KEY (post_id) REFERENCES refc.posts (id) ON DELETE CASCADE,
    ADD CONSTRAINT post_tags_tag_id_fkey FOREIGN KEY (tag_id) REFERENCES refc.tags (id) ON DELETE CASCADE;
SELECT setval(pg_get_serial_sequence('refc.posts', 'id'), (SELECT max(id) FROM refc.posts));
SELECT setval(pg_get_serial_sequence('refc.tags', 'id'), (SELECT max(id) FROM refc.tags));

-- ref's get-or-create, the schema renamed
SELECT replace(pg_get_functiondef('ref.tags_get_or_create(text[])'::regprocedure),
               'ref.', 'refc.') \gexec

-- ref's post_set_tags, and, if the post is visible, the lock of the tags it
-- counts (old and new), in id order, after get-or-create and before the
-- DELETE and the INSERT whose rows count them
CREATE FUNCTION refc.post_set_tags(post_id integer, names text[])
RETURNS SETOF refc.tags
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    pid integer := post_id;
    ids integer[];
    visible boolean;
BEGIN
    SELECT p.status = 'published' AND p.deleted_at IS NULL INTO visible
    FROM refc.posts p WHERE p.id = pid FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'post % does not exist', pid USING ERRCODE = 'P0002';
    END IF;
    IF names IS NOT NULL THEN
        SELECT coalesce(array_agg(g.id ORDER BY g.ordinality), '{}') INTO ids
        FROM refc.tags_get_or_create(names) WITH ORDINALITY AS g;
        IF visible AND coalesce(current_setting('bench.counter_lock_order', true), '') <> 'off' THEN
            PERFORM 1 FROM refc.tags t
            WHERE t.id = ANY (ids || ARRAY(SELECT pt.tag_id FROM refc.post_tags pt
                                           WHERE pt.post_id = pid))
            ORDER BY t.id
            FOR NO KEY UPDATE;
        END IF;
        DELETE FROM refc.post_tags pt WHERE pt.post_id = pid;
        INSERT INTO refc.post_tags (post_id, tag_id, position)
        SELECT pid, u.id, u.o FROM unnest(ids) WITH ORDINALITY AS u(id, o);
    END IF;
    RETURN QUERY
        SELECT t.*
        FROM refc.post_tags pt JOIN refc.tags t ON t.id = pt.tag_id
        WHERE pt.post_id = pid
        ORDER BY pt.position NULLS LAST, t.id;
END
$$;

-- the counter cache: the number of visible (published, not deleted) posts
-- that have the tag
ALTER TABLE refc.tags ADD COLUMN post_count integer NOT NULL DEFAULT 0;
UPDATE refc.tags t SET post_count = c.n
FROM (SELECT pt.tag_id, count(*) AS n
      FROM refc.post_tags pt JOIN refc.posts p ON p.id = pt.post_id
      WHERE p.status = 'published' AND p.deleted_at IS NULL
      GROUP BY pt.tag_id) c
WHERE c.tag_id = t.id;

-- an association of a visible post counts for its tag: one UPDATE of the
-- tag's row for each association inserted or deleted (a deleted post's
-- are uncounted by the posts' trigger below, before the cascade)
CREATE FUNCTION refc.post_tags_count()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE refc.tags t SET post_count = t.post_count - 1
        FROM refc.posts p
        WHERE t.id = OLD.tag_id AND p.id = OLD.post_id
          AND p.status = 'published' AND p.deleted_at IS NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE refc.tags t SET post_count = t.post_count + 1
        FROM refc.posts p
        WHERE t.id = NEW.tag_id AND p.id = NEW.post_id
          AND p.status = 'published' AND p.deleted_at IS NULL;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER post_tags_count
AFTER INSERT OR DELETE OR UPDATE OF post_id, tag_id ON refc.post_tags
FOR EACH ROW EXECUTE FUNCTION refc.post_tags_count();

-- a post that becomes visible or hidden moves each of its tags' counts; a
-- visible post that is deleted uncounts its tags before its associations go
CREATE FUNCTION refc.posts_count()
RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    was boolean := OLD.status = 'published' AND OLD.deleted_at IS NULL;
    is_now boolean := false;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        is_now := NEW.status = 'published' AND NEW.deleted_at IS NULL;
    END IF;
    IF was <> is_now THEN
        UPDATE refc.tags t
        SET post_count = t.post_count + CASE WHEN is_now THEN 1 ELSE -1 END
        FROM refc.post_tags pt
        WHERE pt.post_id = OLD.id AND t.id = pt.tag_id;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER posts_count_visibility
AFTER UPDATE OF status, deleted_at ON refc.posts
FOR EACH ROW EXECUTE FUNCTION refc.posts_count();
CREATE TRIGGER posts_count_delete
BEFORE DELETE ON refc.posts
FOR EACH ROW EXECUTE FUNCTION refc.posts_count();

-- the counts as tag_counts() gives them, read off the cache (for the check)
CREATE FUNCTION refc.tag_counts()
RETURNS TABLE (id integer, name text, slug text, post_count bigint)
LANGUAGE sql STABLE AS $$
    SELECT t.id, t.name::text, t.slug::text, t.post_count
    FROM refc.tags t
    ORDER BY 4 DESC, t.name
$$;
