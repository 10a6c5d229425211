-- Targets (1.2) and the rest of the database: tag care (prune, merge,
-- rename) spans every target; dropping a target, its association table or
-- its schema forgets it and drops what was made for it; renames and moves
-- change nothing; row-level security on a target is honoured; user code on
-- an association table that calls back in is safe.

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;
-- (the errors' context is the statement text: keep it out)
\set SHOW_CONTEXT never

CREATE TABLE tc_arts (
    id              bigint PRIMARY KEY,
    status          text NOT NULL DEFAULT 'published',
    published_at    timestamptz NOT NULL
);
SELECT tags_enable('tc_arts', 'status = ''published''', 'published_at');
CREATE TABLE tc_words (word text PRIMARY KEY);
SELECT tags_enable('tc_words');
INSERT INTO tc_arts (id, status, published_at)
SELECT i, CASE WHEN i = 5 THEN 'draft' ELSE 'published' END,
       '2026-01-01 00:00+00'::timestamptz + i * interval '1 day'
FROM generate_series(1, 6) AS i;
INSERT INTO tc_words VALUES ('alpha'), ('beta'), ('gamma');
INSERT INTO posts (id, title, status) VALUES (1, 'p1', 'published');

-- the counts of both targets against plain SQL, and the associations
-- whose copies are not their item's: no rows when all agree
CREATE FUNCTION pg_temp.differ() RETURNS TABLE (target text, slug text, counted bigint, oracle bigint)
LANGUAGE sql AS $$
    SELECT 'tc_arts', coalesce(c.slug, o.slug), c.item_count, o.n
    FROM tag_item_counts('tc_arts') c
    FULL JOIN (SELECT t.slug::text, count(r.id) FILTER (WHERE r.status = 'published') AS n
               FROM tags t
               LEFT JOIN tc_arts_tags a ON a.tag_id = t.id
               LEFT JOIN tc_arts r ON r.id = a.item_id
               GROUP BY t.slug) o ON o.slug = c.slug
    WHERE c.item_count IS DISTINCT FROM o.n
       OR o.n <> tag_item_count('tc_arts', o.slug)
    UNION ALL
    SELECT 'tc_words', coalesce(c.slug, o.slug), c.item_count, o.n
    FROM tag_item_counts('tc_words') c
    FULL JOIN (SELECT t.slug::text, count(r.word) AS n
               FROM tags t
               LEFT JOIN tc_words_tags a ON a.tag_id = t.id
               LEFT JOIN tc_words r ON r.word = a.item_id
               GROUP BY t.slug) o ON o.slug = c.slug
    WHERE c.item_count IS DISTINCT FROM o.n
       OR o.n <> tag_item_count('tc_words', o.slug)
    UNION ALL
    SELECT 'tc_arts copies', a.item_id::text, NULL, NULL
    FROM tc_arts_tags a JOIN tc_arts r ON r.id = a.item_id
    WHERE a.item_visible <> (r.status = 'published') OR a.item_sort <> r.published_at
$$;

-- an item's tags, as one line
CREATE FUNCTION pg_temp.arts_tags(item bigint) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(slug, ' ' ORDER BY ord), '(none)')
    FROM item_get_tags('tc_arts', item) WITH ORDINALITY AS g(id, name, slug, created_at, ord)
$$;
CREATE FUNCTION pg_temp.words_tags(item text) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(slug, ' ' ORDER BY ord), '(none)')
    FROM item_get_tags('tc_words', item) WITH ORDINALITY AS g(id, name, slug, created_at, ord)
$$;

--
-- tags_prune: a tag any target uses stays
--

SELECT count(*) FROM post_set_tags(1, ARRAY['on a post']);
SELECT count(*) FROM item_set_tags('tc_arts', 1, ARRAY['on an art']);
-- on a draft: not counted, but used
SELECT count(*) FROM item_set_tags('tc_arts', 5, ARRAY['on a draft']);
SELECT count(*) FROM item_set_tags('tc_words', 'alpha', ARRAY['on a word']);
SELECT count(*) FROM tags_get_or_create(ARRAY['unused', 'also unused']);
SELECT tags_prune();
SELECT name FROM tags ORDER BY name;
-- once no item has it, it goes
SELECT count(*) FROM item_set_tags('tc_arts', 5, '{}');
SELECT count(*) FROM item_remove_tags('tc_words', 'alpha', ARRAY['on a word']);
SELECT tags_prune();
SELECT name FROM tags ORDER BY name;
SELECT * FROM pg_temp.differ();

--
-- tag_merge moves the associations of every target
--

SELECT r.id, pg_temp.arts_tags(r.id) FROM tc_arts r,
    LATERAL item_set_tags('tc_arts', r.id, CASE r.id
        WHEN 1 THEN ARRAY['js', 'web']
        WHEN 2 THEN ARRAY['web', 'javascript', 'js']
        WHEN 3 THEN ARRAY['javascript', 'web']
        WHEN 4 THEN ARRAY['css', 'js']
        WHEN 5 THEN ARRAY['js']
        ELSE ARRAY['web'] END) AS s
GROUP BY r.id ORDER BY r.id;
SELECT count(*) FROM item_set_tags('tc_words', 'alpha', ARRAY['js', 'greek']);
SELECT count(*) FROM item_set_tags('tc_words', 'beta', ARRAY['greek', 'javascript', 'js']);
SELECT count(*) FROM post_set_tags(1, ARRAY['js']);
SELECT slug, item_count FROM tag_item_counts('tc_arts') WHERE slug IN ('js', 'javascript');
-- js into javascript: an item that had both keeps one, at the first of
-- the two places; the moved ones keep theirs.  5 associations move: 3 of
-- tc_arts, 1 of tc_words, 1 of posts (not those of items that had both)
SELECT tag_merge('js', 'javascript');
SELECT r.id, pg_temp.arts_tags(r.id) FROM tc_arts r ORDER BY r.id;
SELECT w.word, pg_temp.words_tags(w.word) FROM tc_words w ORDER BY w.word;
SELECT slug FROM post_get_tags(1);
SELECT a.item_id, a.position FROM tc_arts_tags a
JOIN tags t ON t.id = a.tag_id WHERE t.slug = 'javascript' ORDER BY 1;
SELECT count(*) AS js_left FROM tc_arts_tags a JOIN tags t ON t.id = a.tag_id
WHERE t.slug = 'js';
SELECT slug, item_count FROM tag_item_counts('tc_arts') WHERE slug IN ('js', 'javascript');
SELECT * FROM pg_temp.differ();
-- the old slug resolves, in the readers and the counts of every target;
-- the old name as a synonym in the writers
SELECT id FROM items_by_tag(NULL::tc_arts, 'js');
SELECT tag_item_count('tc_arts', 'js'), tag_item_count('tc_words', 'js');
SELECT slug FROM item_add_tags('tc_arts', 6, ARRAY['JS']);
-- a rename: the old slug keeps resolving
SELECT name, slug FROM tag_rename('web', 'World Wide Web');
SELECT id FROM items_by_tag(NULL::tc_arts, 'web');
SELECT id FROM items_by_tag(NULL::tc_arts, 'world-wide-web');
SELECT tag_item_count('tc_arts', 'web'), tag_item_count('tc_arts', 'world-wide-web');
SELECT id FROM items_by_tag_after(NULL::tc_arts, 'web', (SELECT r FROM tc_arts r WHERE id = 6), 10);
SELECT id FROM items_tagged(NULL::tc_arts, ARRAY['world wide web', 'javascript']);
SELECT * FROM pg_temp.differ();
SELECT tags_fold_counts() >= 0 AS folded;
SELECT * FROM pg_temp.differ();

--
-- Dropping
--

-- what tags_enable() has made for the tables of this test, one line per
-- target
CREATE FUNCTION pg_temp.made() RETURNS TABLE (target text, made text)
LANGUAGE sql AS $$
    SELECT base, string_agg(what, ' ' ORDER BY what) FROM (
        SELECT n.nspname || '.' || substring(c.relname FROM '^(.*)_(tags|tag_counts|tag_count_deltas)$') AS base,
               substring(c.relname FROM '_(tags|tag_counts|tag_count_deltas)$') AS what
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND c.relname ~ '^tc_.*_(tags|tag_counts|tag_count_deltas)$'
        UNION ALL
        SELECT n.nspname || '.' || c.relname, 'registered'
        FROM tag_targets t JOIN pg_class c ON c.oid = t.target
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT t.builtin
        UNION ALL
        SELECT n.nspname || '.' || c.relname, 'trigger'
        FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE g.tgname = 'tags_item_changed') s
    GROUP BY base ORDER BY base
$$;

CREATE TABLE tc_gone (id integer PRIMARY KEY);
SELECT tags_enable('tc_gone');
CREATE TABLE tc_kept (id integer PRIMARY KEY, n integer NOT NULL DEFAULT 0);
SELECT tags_enable('tc_kept', NULL, 'n');
INSERT INTO tc_gone VALUES (1);
INSERT INTO tc_kept VALUES (1);
SELECT count(*) FROM item_set_tags('tc_gone', 1, ARRAY['javascript']);
SELECT count(*) FROM item_set_tags('tc_kept', 1, ARRAY['javascript']);
SELECT * FROM pg_temp.made();

-- a target cannot be dropped alone: its association table refers to it
DROP TABLE tc_gone;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pg_temp.made();
SELECT slug FROM item_get_tags('tc_gone', 1);
-- with CASCADE: the registry row, the association table and the counters go
DROP TABLE tc_gone CASCADE;
SELECT * FROM pg_temp.made();
SELECT count(*) AS registered FROM tag_targets t
WHERE NOT t.builtin AND t.target::text LIKE '%gone%';

-- the association table dropped: the target is forgotten, its counters
-- and the trigger on it go; the target stays and may change freely
DROP TABLE tc_kept_tags;
SELECT * FROM pg_temp.made();
UPDATE tc_kept SET n = 5;
SELECT id, n FROM tc_kept;
SELECT * FROM item_get_tags('tc_kept', 1);
\echo :LAST_ERROR_SQLSTATE
-- and it may be enabled again
SELECT tags_enable('tc_kept', NULL, 'n');
SELECT slug FROM item_set_tags('tc_kept', 1, ARRAY['again']);
SELECT tags_disable('tc_kept');
DROP TABLE tc_kept;

-- a schema holding a target dropped with CASCADE
CREATE SCHEMA tc_doomed;
CREATE TABLE tc_doomed.tc_items (id bigint PRIMARY KEY);
SELECT tags_enable('tc_doomed.tc_items');
INSERT INTO tc_doomed.tc_items VALUES (1);
SELECT count(*) FROM item_set_tags('tc_doomed.tc_items', 1, ARRAY['javascript', 'doomed']);
SELECT * FROM pg_temp.made();
DROP SCHEMA tc_doomed CASCADE;
SELECT * FROM pg_temp.made();
-- its tags stay, and tag care still works over the targets left
SELECT name FROM tags WHERE name = 'doomed';
SELECT tags_prune() >= 1 AS pruned;
SELECT name FROM tags WHERE name = 'doomed';
SELECT * FROM pg_temp.differ();

--
-- Renames and moves: every function keeps working
--

CREATE SCHEMA tc_app;
CREATE TABLE tc_app.tc_docs (
    id      bigint PRIMARY KEY,
    live    boolean NOT NULL DEFAULT true,
    rank    integer NOT NULL
);
SELECT tags_enable('tc_app.tc_docs', 'live', 'rank');
INSERT INTO tc_app.tc_docs (id, live, rank) VALUES (1, true, 10), (2, true, 20), (3, false, 30);

-- every function on the target t, through its name of the moment; a
-- change of its rows; the differences from plain SQL (0 when agreeing)
CREATE FUNCTION pg_temp.exercise(t regclass) RETURNS TABLE (what text, result text)
LANGUAGE plpgsql AS $$
DECLARE
    a regclass := (SELECT association FROM tag_targets WHERE target = t);
    r text;
BEGIN
    what := 'set';
    result := (SELECT string_agg(slug, ' ') FROM item_set_tags(t, 1, ARRAY['doc', 'first']));
    RETURN NEXT;
    PERFORM item_set_tags(t, 2, ARRAY['doc']);
    PERFORM item_set_tags(t, 3, ARRAY['doc']);
    what := 'add';
    result := (SELECT string_agg(slug, ' ') FROM item_add_tags(t, 2, ARRAY['second', 'doc']));
    RETURN NEXT;
    what := 'remove';
    result := (SELECT string_agg(slug, ' ') FROM item_remove_tags(t, 2, ARRAY['second']));
    RETURN NEXT;
    what := 'get';
    result := (SELECT string_agg(slug, ' ') FROM item_get_tags(t, '1'));
    RETURN NEXT;
    EXECUTE format('UPDATE %s SET rank = rank + 1', t);
    what := 'by tag';
    EXECUTE format('SELECT string_agg(id::text, '' '') FROM items_by_tag(NULL::%s, ''doc'')', t)
        INTO result;
    RETURN NEXT;
    what := 'by tag after';
    EXECUTE format('SELECT string_agg(id::text, '' '') FROM items_by_tag_after(NULL::%1$s, ''doc'', (SELECT d FROM %1$s d WHERE id = 2))', t)
        INTO result;
    RETURN NEXT;
    what := 'tagged';
    EXECUTE format('SELECT string_agg(id::text, '' '') FROM items_tagged(NULL::%s, ARRAY[''doc'', ''first''], ''any'')', t)
        INTO result;
    RETURN NEXT;
    what := 'related';
    EXECUTE format('SELECT string_agg((r.item).id || '':'' || r.shared_tags, '' '') FROM items_related((SELECT d FROM %s d WHERE id = 1)) r', t)
        INTO result;
    RETURN NEXT;
    what := 'counts';
    result := (SELECT string_agg(slug || ':' || item_count, ' ' ORDER BY slug)
               FROM tag_item_counts(t) WHERE item_count > 0);
    RETURN NEXT;
    what := 'top';
    result := (SELECT string_agg(slug || ':' || item_count, ' ') FROM tag_item_counts(t, 1));
    RETURN NEXT;
    what := 'count';
    result := tag_item_count(t, 'doc')::text;
    RETURN NEXT;
    what := 'differ';
    EXECUTE format($q$
        SELECT count(*) FROM (
            (SELECT slug::text, item_count FROM tag_item_counts(%1$s::regclass)
             EXCEPT
             SELECT tg.slug::text, count(d.id) FILTER (WHERE d.live)
             FROM tags tg LEFT JOIN %2$s x ON x.tag_id = tg.id
             LEFT JOIN %3$s d ON d.id = x.item_id GROUP BY tg.slug)
            UNION ALL
            (SELECT tg.slug::text, count(d.id) FILTER (WHERE d.live)
             FROM tags tg LEFT JOIN %2$s x ON x.tag_id = tg.id
             LEFT JOIN %3$s d ON d.id = x.item_id GROUP BY tg.slug
             EXCEPT
             SELECT slug::text, item_count FROM tag_item_counts(%1$s::regclass))) z
        $q$, quote_literal(t::text), a, t) INTO result;
    RETURN NEXT;
    what := 'stale copies';
    EXECUTE format('SELECT count(*) FROM %s x JOIN %s d ON d.id = x.item_id WHERE x.item_visible <> d.live OR x.item_sort <> d.rank', a, t)
        INTO result;
    RETURN NEXT;
END $$;

SELECT * FROM pg_temp.exercise('tc_app.tc_docs');
-- the target renamed
ALTER TABLE tc_app.tc_docs RENAME TO tc_papers;
SELECT * FROM pg_temp.exercise('tc_app.tc_papers');
-- moved to another schema (its association table stays where it is)
CREATE SCHEMA tc_elsewhere;
ALTER TABLE tc_app.tc_papers SET SCHEMA tc_elsewhere;
SELECT * FROM pg_temp.exercise('tc_elsewhere.tc_papers');
-- the schemas renamed
ALTER SCHEMA tc_elsewhere RENAME TO tc_moved;
ALTER SCHEMA tc_app RENAME TO tc_app2;
SELECT * FROM pg_temp.exercise('tc_moved.tc_papers');
-- the key column renamed
ALTER TABLE tc_moved.tc_papers RENAME COLUMN id TO paper_id;
SELECT slug FROM item_set_tags('tc_moved.tc_papers', 3, ARRAY['renamed', 'doc']);
UPDATE tc_moved.tc_papers SET live = true WHERE paper_id = 3;
SELECT paper_id FROM items_by_tag(NULL::tc_moved.tc_papers, 'doc');
SELECT paper_id FROM items_by_tag_after(NULL::tc_moved.tc_papers, 'doc',
    (SELECT p FROM tc_moved.tc_papers p WHERE paper_id = 3));
SELECT paper_id FROM items_tagged(NULL::tc_moved.tc_papers, ARRAY['doc', 'renamed'], 'exact');
SELECT (r.item).paper_id, r.shared_tags
FROM items_related((SELECT p FROM tc_moved.tc_papers p WHERE paper_id = 3)) r;
SELECT tag_item_count('tc_moved.tc_papers', 'doc'), tag_item_count('tc_moved.tc_papers', 'renamed');
SELECT slug, item_count FROM tag_item_counts('tc_moved.tc_papers', 2);
SELECT x.item_id, x.item_visible, x.item_sort FROM tc_app2.tc_docs_tags x
JOIN tc_moved.tc_papers p ON p.paper_id = x.item_id ORDER BY 1, 2, 3;
-- tag care still reaches it
SELECT slug FROM item_add_tags('tc_moved.tc_papers', 2, ARRAY['paper']);
SELECT tag_merge('first', 'paper');
SELECT slug FROM item_get_tags('tc_moved.tc_papers', 1);
SELECT tag_item_count('tc_moved.tc_papers', 'first'), tag_item_count('tc_moved.tc_papers', 'paper');
-- (the association table and the counters keep the name and the schema
-- they were made with: tc_app2.tc_docs_*)
SELECT * FROM pg_temp.made();
SELECT * FROM pg_temp.differ();
-- dropping the moved target drops its tables in the other schema
DROP SCHEMA tc_moved CASCADE;
SELECT * FROM pg_temp.made();
DROP SCHEMA tc_app2;
SELECT * FROM pg_temp.made();

--
-- Row-level security on a target
--

CREATE ROLE tc_owner;
CREATE ROLE tc_reader;
GRANT CREATE ON SCHEMA public TO tc_owner;
SET ROLE tc_owner;
CREATE TABLE tc_secrets (
    id      bigint PRIMARY KEY,
    team    text NOT NULL,
    at      date NOT NULL
);
RESET ROLE;
SELECT tags_enable('tc_secrets', NULL, 'at');
SET ROLE tc_owner;
INSERT INTO tc_secrets VALUES (1, 'all', '2026-01-01'), (2, 'all', '2026-01-02'),
    (3, 'staff', '2026-01-03'), (4, 'staff', '2026-01-04');
ALTER TABLE tc_secrets ENABLE ROW LEVEL SECURITY;
CREATE POLICY tc_everyone ON tc_secrets USING (team = 'all');
-- what a role needs to read and write the tags of a target
GRANT SELECT, UPDATE ON tc_secrets TO tc_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON tc_secrets_tags TO tc_reader;
RESET ROLE;
GRANT SELECT, INSERT, UPDATE, DELETE ON tags TO tc_reader;
GRANT SELECT ON tags TO tc_owner;
SELECT count(*) FROM generate_series(1, 4) AS i,
    LATERAL item_set_tags('tc_secrets', i, ARRAY['shared', 'secret ' || i]);

-- the reader sees the rows the policy lets it see, and counts only those
SET ROLE tc_reader;
SELECT id FROM tc_secrets ORDER BY id;
SELECT id FROM items_by_tag(NULL::tc_secrets, 'shared');
SELECT id FROM items_by_tag(NULL::tc_secrets, 'secret-3');
SELECT id FROM items_by_tag_after(NULL::tc_secrets, 'shared', NULL);
-- a hidden item takes no place in a page: the two newest are hidden, and
-- a page of two has the two visible ones
SELECT id FROM items_by_tag(NULL::tc_secrets, 'shared', 1, 2);
SELECT id FROM items_by_tag_after(NULL::tc_secrets, 'shared', NULL, 2);
SELECT id FROM items_by_tag_after(NULL::tc_secrets, 'shared',
                                  ROW(2, 'all', '2026-01-02')::tc_secrets, 2);
SELECT id FROM items_tagged(NULL::tc_secrets, ARRAY['shared']);
SELECT id FROM items_tagged(NULL::tc_secrets, ARRAY['shared', 'secret 3']);
SELECT id FROM items_tagged(NULL::tc_secrets, ARRAY['shared', 'secret 3'], 'any');
SELECT (r.item).id, r.shared_tags FROM items_related((SELECT s FROM tc_secrets s WHERE id = 1)) r;
SELECT slug, item_count FROM tag_item_counts('tc_secrets') WHERE slug IN ('shared', 'secret-1', 'secret-3') ORDER BY slug;
SELECT slug, item_count FROM tag_item_counts('tc_secrets', 1);
SELECT tag_item_count('tc_secrets', 'shared'), tag_item_count('tc_secrets', 'secret-3');
-- its writers and item_get_tags do not find a hidden row (P0002)
SELECT slug FROM item_get_tags('tc_secrets', 3);
\echo :LAST_ERROR_SQLSTATE
SELECT slug FROM item_set_tags('tc_secrets', 3, ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
SELECT slug FROM item_add_tags('tc_secrets', 3, ARRAY['x']);
\echo :LAST_ERROR_SQLSTATE
SELECT slug FROM item_remove_tags('tc_secrets', 3, ARRAY['shared']);
\echo :LAST_ERROR_SQLSTATE
-- and do their work on a visible one
SELECT slug FROM item_set_tags('tc_secrets', 1, ARRAY['shared', 'by reader']);
SELECT tag_item_count('tc_secrets', 'by-reader');
RESET ROLE;

-- the owner sees all
SET ROLE tc_owner;
SELECT id FROM items_by_tag(NULL::tc_secrets, 'shared');
SELECT id FROM items_tagged(NULL::tc_secrets, ARRAY['shared', 'secret 3']);
SELECT slug, item_count FROM tag_item_counts('tc_secrets') WHERE slug IN ('shared', 'secret-1', 'secret-3', 'by-reader') ORDER BY slug;
SELECT tag_item_count('tc_secrets', 'shared'), tag_item_count('tc_secrets', 'secret-3');
SELECT slug FROM item_get_tags('tc_secrets', 3);
RESET ROLE;
SELECT tags_disable('tc_secrets');
DROP TABLE tc_secrets;
REVOKE CREATE ON SCHEMA public FROM tc_owner;
REVOKE ALL ON tags FROM tc_reader, tc_owner;
DROP ROLE tc_owner;
DROP ROLE tc_reader;

--
-- User code on an association table that calls back in
--

-- once armed, on the first association inserted: item_set_tags on
-- another item of the same target, and 1100 new names; and the item
-- written is unpublished meanwhile
CREATE FUNCTION pg_temp.call_back_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('test.armed', true) IS DISTINCT FROM 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('test.armed', 'off', false);
    PERFORM count(*) FROM item_set_tags('tc_arts', 2,
        ARRAY(SELECT 'inner ' || i FROM generate_series(1, 1100) AS i));
    PERFORM count(*) FROM tags_get_or_create(
        ARRAY(SELECT 'bulk ' || i FROM generate_series(1, 1100) AS i));
    UPDATE tc_arts SET status = 'draft' WHERE id = NEW.item_id;
    RETURN NULL;
END $$;
CREATE TRIGGER tc_call_back_in AFTER INSERT ON tc_arts_tags
    FOR EACH ROW EXECUTE FUNCTION pg_temp.call_back_in();
SET tags.max_tags_per_post = 0;

SET test.armed = on;
SELECT slug FROM item_set_tags('tc_arts', 3, ARRAY['outer one', 'outer two', 'javascript']);
SELECT current_setting('test.armed') AS armed;
SELECT count(*) AS inner_tags FROM item_get_tags('tc_arts', 2);
SELECT count(*) AS bulk_tags FROM tags WHERE name LIKE 'bulk %';
SELECT status FROM tc_arts WHERE id = 3;
SELECT DISTINCT item_visible FROM tc_arts_tags WHERE item_id = 3;
SELECT * FROM pg_temp.differ();
-- add, and a direct write
SET test.armed = on;
SELECT slug FROM item_add_tags('tc_arts', 4, ARRAY['outer three']);
SELECT current_setting('test.armed') AS armed;
SELECT * FROM pg_temp.differ();
UPDATE tc_arts SET status = 'published';
SET test.armed = on;
INSERT INTO tc_arts_tags (item_id, tag_id) SELECT 6, id FROM tags WHERE name = 'outer one';
SELECT current_setting('test.armed') AS armed;
SELECT * FROM pg_temp.differ();
SELECT tags_fold_counts() >= 0 AS folded;
SELECT * FROM pg_temp.differ();
SELECT slug, item_count FROM tag_item_counts('tc_arts', 3);
RESET tags.max_tags_per_post;
DROP TRIGGER tc_call_back_in ON tc_arts_tags;

-- nothing left
SELECT tags_disable('tc_arts'), tags_disable('tc_words');
DROP TABLE tc_arts, tc_words;
SELECT * FROM pg_temp.made();
SELECT target FROM tag_targets;

-- a column the visibility expression or the sort column reads renamed:
-- that target fails, with the same clear error each time, until the
-- rename is undone; the other targets are not affected
CREATE TABLE tc_a (id bigint PRIMARY KEY, live boolean NOT NULL, at integer NOT NULL DEFAULT 0);
CREATE TABLE tc_b (id bigint PRIMARY KEY, live boolean NOT NULL);
SELECT tags_enable('tc_a', 'live', 'at'), tags_enable('tc_b', 'live');
INSERT INTO tc_a VALUES (1, true), (2, false);
INSERT INTO tc_b VALUES (1, true);
SELECT name FROM item_set_tags('tc_a', 1, ARRAY['on-a']);
SELECT name FROM item_set_tags('tc_b', 1, ARRAY['only-on-b']);
ALTER TABLE tc_a RENAME COLUMN live TO is_live;
UPDATE tc_a SET at = 1 WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE tc_a SET at = 1 WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
SELECT name FROM item_get_tags('tc_b', 1);
UPDATE tc_b SET live = false WHERE id = 1;
SELECT item_visible FROM tc_b_tags;
SELECT slug, item_count FROM tag_item_counts('tc_b') WHERE slug = 'only-on-b';
SELECT tags_prune() IS NOT NULL AS pruned;
SELECT count(*) AS kept FROM tags WHERE slug IN ('on-a', 'only-on-b');
ALTER TABLE tc_a RENAME COLUMN is_live TO live;
UPDATE tc_a SET at = 1 WHERE id = 1;
SELECT item_visible, item_sort FROM tc_a_tags;
-- the sort column renamed
ALTER TABLE tc_a RENAME COLUMN at TO at2;
SELECT name FROM item_get_tags('tc_a', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT name FROM item_get_tags('tc_b', 1);
ALTER TABLE tc_a RENAME COLUMN at2 TO at;
SELECT name FROM item_get_tags('tc_a', 1);
-- broken again: enabling it once more is refused as for any target, and
-- disabling it, the way out the error names, works; it is then a table
-- like any other, which may be enabled anew
ALTER TABLE tc_a RENAME COLUMN at TO at2;
SELECT tags_enable('tc_a', 'live', 'at2');
\echo :LAST_ERROR_SQLSTATE
SELECT tags_disable('tc_a');
SELECT count(*) AS registered, to_regclass('tc_a_tags') AS assoc
FROM tag_targets WHERE target = 'tc_a'::regclass;
SELECT tags_enable('tc_a', 'live', 'at2');
SELECT name FROM item_set_tags('tc_a', 1, ARRAY['again']);
SELECT tags_disable('tc_a'), tags_disable('tc_b');
DROP TABLE tc_a, tc_b;
SELECT target FROM tag_targets;
