-- User code that calls back in.  A trigger on each of the extension's
-- tables, a row-level security policy on posts and column defaults on
-- tags and post_tags call every writer, with more than 1000 new tags, and
-- ANALYZE the tables (which invalidates every kept plan), while one of the
-- extension's own statements is running.  Nothing crashes, each outer
-- call returns what it would have returned alone, and the counters and
-- the copies in post_tags equal what plain SQL computes.
--
-- expected/reentry_1.out is this test on PostgreSQL 19, which checks the
-- foreign keys of a statement's new rows in a batch once their AFTER
-- triggers have fired: the tag that a user trigger on tag_synonyms deletes
-- is already gone when the new synonym's key is checked, so
-- tag_add_synonym fails with 23503 before it can report P0002 (either way
-- nothing of the call stays).  Earlier versions check each row before the
-- user trigger runs.

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;
-- 1.2 refuses user triggers, columns and policies on the extension's tables, which pg_dump
-- would lose; this test bypasses the guard, as a superuser can
ALTER EVENT TRIGGER tags_guard_builtin_tables DISABLE;
SET tags.max_tags_per_post = 0;

INSERT INTO posts (title, status)
SELECT 'post ' || i, 'published' FROM generate_series(1, 40) AS i;
CREATE SEQUENCE round_no;

-- The inner work, once per arming: every writer and tag care with new
-- names, 1000 and more of them.  Disarmed first, so the triggers it fires
-- itself do nothing.
CREATE FUNCTION call_back_in() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  r text;
  p integer;
BEGIN
  IF current_setting('test.armed', true) IS DISTINCT FROM 'on' THEN
    RETURN;
  END IF;
  PERFORM set_config('test.armed', 'off', false);
  r := 'r' || nextval('round_no');
  p := 20 + currval('round_no')::integer;
  PERFORM count(*) FROM tags_get_or_create(
    ARRAY(SELECT r || ' bulk ' || i FROM generate_series(1, 1100) AS i));
  PERFORM count(*) FROM post_set_tags(p,
    ARRAY(SELECT r || ' set ' || i FROM generate_series(1, 1100) AS i));
  PERFORM count(*) FROM post_add_tags(p,
    ARRAY(SELECT r || ' add ' || i FROM generate_series(1, 1100) AS i));
  PERFORM count(*) FROM post_remove_tags(p,
    ARRAY(SELECT r || ' set ' || i FROM generate_series(1, 550) AS i));
  PERFORM tag_add_synonym(r || ' alias', r || '-bulk-1');
  PERFORM tag_rename(r || '-bulk-2', r || ' renamed');
  PERFORM tag_merge(r || '-add-1', r || '-add-2');
  PERFORM tags_prune('1 day');
  PERFORM tags_fold_counts();
  -- makes every kept plan invalid, as the tables' owner may
  IF pg_has_role((SELECT relowner FROM pg_class WHERE oid = 'tags'::regclass), 'USAGE') THEN
    ANALYZE posts, tags, post_tags, tag_synonyms, tag_slug_aliases,
            tag_post_counts, tag_post_count_deltas;
  END IF;
END $$;

CREATE FUNCTION call_back_in_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM call_back_in();
  RETURN NULL;
END $$;

-- whether the inner work ran since the last arming
CREATE FUNCTION called_back() RETURNS boolean LANGUAGE sql
AS $$ SELECT current_setting('test.armed') = 'off' $$;

-- the counters and the copies against plain SQL
CREATE FUNCTION consistent() RETURNS TABLE (counts_agree boolean, copies_agree boolean)
LANGUAGE sql AS $$
  WITH live AS (
    SELECT t.id, count(p.id) AS n
    FROM tags t
    LEFT JOIN post_tags pt ON pt.tag_id = t.id
    LEFT JOIN posts p ON p.id = pt.post_id
         AND p.status = 'published' AND p.deleted_at IS NULL
    GROUP BY t.id)
  SELECT (SELECT count(*) FROM tag_counts() c
          FULL JOIN live l ON l.id = c.id
          WHERE c.post_count IS DISTINCT FROM l.n) = 0,
         (SELECT count(*) FROM post_tags pt JOIN posts p ON p.id = pt.post_id
          WHERE pt.post_visible <> (p.status = 'published' AND p.deleted_at IS NULL)
             OR pt.post_created_at <> p.created_at) = 0
$$;

--
-- A trigger on post_tags: fires inside the writers' statement that writes
-- a post's list, and inside tag_merge's
--
CREATE TRIGGER call_back_in AFTER INSERT OR UPDATE OR DELETE ON post_tags
FOR EACH ROW EXECUTE FUNCTION call_back_in_trigger();

SET test.armed = on;
SELECT name, slug FROM post_set_tags(1, ARRAY['Outer A', 'Outer B']);
SELECT called_back(), * FROM consistent();
SET test.armed = on;
SELECT name FROM post_add_tags(1, ARRAY['Outer C']);
SELECT called_back(), * FROM consistent();
SET test.armed = on;
SELECT name FROM post_remove_tags(1, ARRAY['outer a']);
SELECT called_back(), * FROM consistent();
SELECT count(*) FROM post_set_tags(2, ARRAY['merge from', 'kept']);
SET test.armed = on;
SELECT tag_merge('merge-from', 'outer-c') AS moved;
SELECT called_back(), * FROM consistent();
SELECT name FROM post_get_tags(2);
DROP TRIGGER call_back_in ON post_tags;

--
-- A trigger on tags: fires inside get-or-create's INSERT, and inside
-- tag_rename's UPDATE
--
CREATE TRIGGER call_back_in AFTER INSERT OR UPDATE ON tags
FOR EACH ROW EXECUTE FUNCTION call_back_in_trigger();

SET test.armed = on;
SELECT name, slug FROM tags_get_or_create(ARRAY['Outer D', 'outer e', 'Outer A']);
SELECT called_back(), * FROM consistent();
SET test.armed = on;
SELECT name, slug FROM post_set_tags(3, ARRAY['Outer F', 'Outer D']);
SELECT called_back(), * FROM consistent();
SET test.armed = on;
SELECT name, slug FROM tag_rename('outer-e', 'Outer E renamed');
SELECT called_back(), * FROM consistent();
DROP TRIGGER call_back_in ON tags;

--
-- Triggers on tag_synonyms and tag_slug_aliases: fire inside tag care
--
CREATE TRIGGER call_back_in AFTER INSERT OR UPDATE OR DELETE ON tag_synonyms
FOR EACH ROW EXECUTE FUNCTION call_back_in_trigger();
SET test.armed = on;
SELECT name, slug FROM tag_add_synonym('outer g', 'outer-f');
SELECT called_back(), * FROM consistent();
SET test.armed = on;
SELECT tag_remove_synonym('outer g') AS removed;
SELECT called_back(), * FROM consistent();
DROP TRIGGER call_back_in ON tag_synonyms;

CREATE TRIGGER call_back_in AFTER INSERT OR UPDATE OR DELETE ON tag_slug_aliases
FOR EACH ROW EXECUTE FUNCTION call_back_in_trigger();
SET test.armed = on;
SELECT name, slug FROM tag_rename('outer-f', 'Outer F renamed');
SELECT called_back(), * FROM consistent();
SELECT slug, (SELECT name FROM tags WHERE id = a.tag_id) AS tag
FROM tag_slug_aliases a WHERE slug LIKE 'outer%' ORDER BY slug;
DROP TRIGGER call_back_in ON tag_slug_aliases;

--
-- Triggers on the counter tables: fire inside the statements the
-- counters' own triggers run (as the tables' owner) and inside a fold
--
CREATE TRIGGER call_back_in AFTER INSERT ON tag_post_count_deltas
FOR EACH ROW EXECUTE FUNCTION call_back_in_trigger();
SET test.armed = on;
SELECT name FROM post_set_tags(4, ARRAY['Outer H', 'Outer A']);
SELECT called_back(), * FROM consistent();
DROP TRIGGER call_back_in ON tag_post_count_deltas;

CREATE TRIGGER call_back_in AFTER INSERT OR UPDATE ON tag_post_counts
FOR EACH ROW EXECUTE FUNCTION call_back_in_trigger();
SELECT count(*) FROM post_set_tags(5, ARRAY['Outer I']);
SET test.armed = on;
SELECT tags_fold_counts() > 0 AS folded;
SELECT called_back(), * FROM consistent();
DROP TRIGGER call_back_in ON tag_post_counts;

--
-- A trigger on posts: fires in the same UPDATE as the trigger that copies
-- a post into its post_tags rows
--
CREATE TRIGGER call_back_in AFTER UPDATE ON posts
FOR EACH ROW EXECUTE FUNCTION call_back_in_trigger();
SET test.armed = on;
UPDATE posts SET status = 'draft' WHERE id = 4;
SELECT called_back(), * FROM consistent();
SELECT * FROM tag_post_count('outer-h');
DROP TRIGGER call_back_in ON posts;

--
-- A column default on post_tags: evaluated for each row the writers
-- insert
--
CREATE FUNCTION call_back_in_default() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM call_back_in();
  RETURN 'noted';
END $$;
ALTER TABLE post_tags ADD COLUMN note text DEFAULT call_back_in_default();
SET test.armed = on;
SELECT name FROM post_set_tags(6, ARRAY['Outer J', 'Outer K', 'Outer A']);
SELECT called_back(), * FROM consistent();
SELECT note, count(*) FROM post_tags WHERE post_id = 6 GROUP BY note;
ALTER TABLE post_tags DROP COLUMN note;

--
-- A column default on tags: evaluated inside get-or-create's INSERT, whose
-- rows the trigger on tags knows from the rows the inner calls insert
--
ALTER TABLE tags ADD COLUMN note text DEFAULT call_back_in_default();
SET test.armed = on;
SELECT name, slug, note FROM tags_get_or_create(ARRAY['Outer L', 'Outer M']);
SELECT called_back(), * FROM consistent();
ALTER TABLE tags DROP COLUMN note;

--
-- A row-level security policy on posts whose function calls back in:
-- evaluated inside the readers' and the writers' statements, for a role
-- that the policy applies to
--
CREATE FUNCTION call_back_in_policy() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM call_back_in();
  RETURN true;
END $$;
CREATE ROLE tags_reentry;
GRANT SELECT, INSERT, UPDATE, DELETE ON posts, tags, post_tags, tag_synonyms, tag_slug_aliases TO tags_reentry;
GRANT USAGE ON SEQUENCE round_no TO tags_reentry;
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY call_back_in ON posts USING (call_back_in_policy());
SET ROLE tags_reentry;
SET test.armed = on;
SELECT title FROM posts_by_tag('outer-a');
SELECT called_back();
SET test.armed = on;
SELECT name FROM post_set_tags(7, ARRAY['Outer N', 'Outer A']);
SELECT called_back();
SET test.armed = on;
SELECT slug, post_count FROM tag_counts() WHERE slug LIKE 'outer%' ORDER BY slug;
SELECT called_back();
RESET ROLE;
SELECT * FROM consistent();
DROP POLICY call_back_in ON posts;
ALTER TABLE posts DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON posts, tags, post_tags, tag_synonyms, tag_slug_aliases FROM tags_reentry;
REVOKE ALL ON SEQUENCE round_no FROM tags_reentry;
DROP ROLE tags_reentry;

--
-- User code that changes a post while a writer inserts its rows: the rows
-- inserted after the change copy the post as it is then
--
CREATE FUNCTION unpublish_midway() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.position = 2 THEN
    UPDATE posts SET status = 'draft' WHERE id = NEW.post_id;
  END IF;
  RETURN NEW;
END $$;
-- named to fire before the trigger that copies the post into the row
CREATE TRIGGER a_unpublish_midway BEFORE INSERT ON post_tags
FOR EACH ROW EXECUTE FUNCTION unpublish_midway();
SELECT name FROM post_set_tags(8, ARRAY['Midway 1', 'Midway 2', 'Midway 3']);
SELECT * FROM consistent();
SELECT slug, post_count FROM tag_counts() WHERE slug LIKE 'midway%' ORDER BY slug;
DROP TRIGGER a_unpublish_midway ON post_tags;

--
-- User code that writes tags directly inside get-or-create's INSERT is
-- checked as any direct write: another tag's old slug is refused
--
CREATE FUNCTION sneak_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.name = 'outer o' THEN
    INSERT INTO tags (name, slug) VALUES ('sneaky', 'outer-e');
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER sneak_in AFTER INSERT ON tags
FOR EACH ROW EXECUTE FUNCTION sneak_in();
\set SHOW_CONTEXT never
SELECT name FROM tags_get_or_create(ARRAY['Outer O']);
\echo :LAST_ERROR_SQLSTATE
\set SHOW_CONTEXT errors
SELECT count(*) AS sneaky FROM tags WHERE name IN ('sneaky', 'outer o');
DROP TRIGGER sneak_in ON tags;

--
-- User code that deletes the tag tag care works on, or keeps its row from
-- being updated: P0002, and nothing of the call stays
--
CREATE FUNCTION delete_the_tag() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM tags WHERE id = NEW.tag_id;
  RETURN NULL;
END $$;
CREATE TRIGGER delete_the_tag AFTER INSERT ON tag_synonyms
FOR EACH ROW EXECUTE FUNCTION delete_the_tag();
\set SHOW_CONTEXT never
SELECT * FROM tag_add_synonym('doomed', 'outer-l');
\echo :LAST_ERROR_SQLSTATE
\set SHOW_CONTEXT errors
SELECT count(*) AS outer_l FROM tags WHERE slug = 'outer-l';
DROP TRIGGER delete_the_tag ON tag_synonyms;
CREATE FUNCTION skip_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RETURN NULL;
END $$;
CREATE TRIGGER skip_update BEFORE UPDATE ON tags
FOR EACH ROW EXECUTE FUNCTION skip_update();
\set SHOW_CONTEXT never
SELECT * FROM tag_rename('outer-l', 'Outer L renamed');
\echo :LAST_ERROR_SQLSTATE
\set SHOW_CONTEXT errors
SELECT name FROM tags WHERE slug = 'outer-l';
DROP TRIGGER skip_update ON tags;

--
-- A column of tags renamed under the functions: 42703, not a crash
--
ALTER TABLE tags RENAME COLUMN name TO label;
SELECT * FROM post_add_tags(6, ARRAY['outer l']);
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE tags RENAME COLUMN label TO name;
SELECT name FROM post_add_tags(6, ARRAY['outer l']);

-- every inner round ran once, and all its writes stayed
SELECT currval('round_no') AS rounds;
SELECT count(*) AS tags_of_rounds FROM tags WHERE name ~ '^r[0-9]+ ';

DROP FUNCTION call_back_in_policy(), call_back_in_default(), call_back_in_trigger(),
              called_back(), consistent(), call_back_in(), unpublish_midway(),
              sneak_in(), delete_the_tag(), skip_update();
DROP SEQUENCE round_no;
RESET tags.max_tags_per_post;
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;
ALTER EVENT TRIGGER tags_guard_builtin_tables ENABLE;
