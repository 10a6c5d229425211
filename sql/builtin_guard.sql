-- The extension's tables are its members: pg_dump dumps their rows and
-- the privileges on them, not their definition.  A change that a dump and
-- restore would lose is refused when it is made (0A000), and leaves
-- nothing; privileges, and what a restore does, are allowed; objects of the
-- application's own that refer to the tables are not the guard's business
-- (t/006_builtin_dump.pl dumps and restores what is allowed here)

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;
\set SHOW_CONTEXT never

INSERT INTO posts (title, status) VALUES ('Guarded', 'published') RETURNING id AS post \gset
SELECT name FROM post_set_tags(:post, ARRAY['one', 'two']);

-- what the tables are made of, to compare after each refusal
CREATE TEMP VIEW shape AS
SELECT c.relname,
       (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                          || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                          || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
                          || CASE WHEN a.attstattarget >= 0 THEN ' stats ' || a.attstattarget ELSE '' END,
                          ', ' ORDER BY a.attnum)
        FROM pg_attribute AS a
        LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       (SELECT count(*) FROM pg_index WHERE indrelid = c.oid) AS indexes,
       (SELECT count(*) FROM pg_constraint WHERE conrelid = c.oid) AS constraints,
       (SELECT string_agg(tgname || ':' || tgenabled::text, ', ' ORDER BY tgname)
        FROM pg_trigger WHERE tgrelid = c.oid AND NOT tgisinternal) AS triggers,
       (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid) AS policies,
       (SELECT count(*) FROM pg_rewrite WHERE ev_class = c.oid) AS rules,
       (SELECT count(*) FROM pg_statistic_ext WHERE stxrelid = c.oid) AS statistics,
       c.relrowsecurity AS rls, c.relforcerowsecurity AS force_rls,
       c.reloptions, c.relreplident AS replident, c.relowner::regrole AS owner,
       obj_description(c.oid, 'pg_class') AS comment
FROM pg_class AS c
WHERE c.oid IN ('posts'::regclass, 'tags'::regclass, 'post_tags'::regclass)
ORDER BY c.relname;
CREATE TEMP TABLE shape_before AS SELECT * FROM shape;

-- a column added: the dump's COPY would fail, and lose every post (the
-- message names the table and the statement, the detail says why, the
-- hint where to go)
ALTER TABLE posts ADD COLUMN author_id integer;
\echo :LAST_ERROR_SQLSTATE
-- (from here on the message only)
\set VERBOSITY terse
ALTER TABLE tags ADD COLUMN color text;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE post_tags ADD COLUMN note text;
\echo :LAST_ERROR_SQLSTATE
-- the other tables are guarded too
ALTER TABLE tag_synonyms ADD COLUMN note text;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE tag_post_counts ADD COLUMN note text;
\echo :LAST_ERROR_SQLSTATE

-- a column dropped, renamed, or changed
ALTER TABLE posts DROP COLUMN body;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE tags RENAME COLUMN name TO label;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE posts ALTER COLUMN title TYPE varchar(200);
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE posts ALTER COLUMN status SET DEFAULT 'published';
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE post_tags ALTER COLUMN position SET NOT NULL;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE posts ALTER COLUMN body SET STATISTICS 500;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE posts ALTER COLUMN body SET STORAGE EXTERNAL;
\echo :LAST_ERROR_SQLSTATE

-- an index: created, changed, or one of the extension's dropped
CREATE INDEX posts_title_idx ON posts (title);
\echo :LAST_ERROR_SQLSTATE
ALTER INDEX posts_pkey SET (fillfactor = 70);
\echo :LAST_ERROR_SQLSTATE
ALTER INDEX post_tags_tag_id_idx RENAME TO post_tags_by_tag;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE posts CLUSTER ON posts_pkey;
\echo :LAST_ERROR_SQLSTATE
DROP INDEX post_tags_tag_id_idx;
\echo :LAST_ERROR_SQLSTATE

-- a constraint: added, or one of the extension's dropped
ALTER TABLE posts ADD CONSTRAINT posts_title_length CHECK (length(title) < 1000);
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE tags ADD CONSTRAINT tags_created_at_key UNIQUE (created_at, id);
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE tags DROP CONSTRAINT tags_name_check;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE tags RENAME CONSTRAINT tags_name_check TO tags_name_not_empty;
\echo :LAST_ERROR_SQLSTATE

-- a trigger: created, or one of the extension's dropped or renamed
CREATE FUNCTION guard_noop() RETURNS trigger LANGUAGE plpgsql
AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER posts_noop BEFORE INSERT ON posts
FOR EACH ROW EXECUTE FUNCTION guard_noop();
\echo :LAST_ERROR_SQLSTATE
CREATE TRIGGER post_tags_noop BEFORE INSERT ON post_tags
FOR EACH ROW EXECUTE FUNCTION guard_noop();
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER posts_copy_to_post_tags ON posts;
\echo :LAST_ERROR_SQLSTATE
ALTER TRIGGER posts_copy_to_post_tags ON posts RENAME TO posts_copy;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE posts ENABLE ALWAYS TRIGGER posts_copy_to_post_tags;
\echo :LAST_ERROR_SQLSTATE

-- a policy, and row-level security turned on
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
\echo :LAST_ERROR_SQLSTATE
CREATE POLICY posts_published ON posts USING (status = 'published');
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE posts FORCE ROW LEVEL SECURITY;
\echo :LAST_ERROR_SQLSTATE

-- a rule, extended statistics
CREATE RULE tags_keep AS ON DELETE TO tags DO INSTEAD NOTHING;
\echo :LAST_ERROR_SQLSTATE
CREATE STATISTICS posts_title_status ON title, status FROM posts;
\echo :LAST_ERROR_SQLSTATE

-- a comment, on a table, a column, a constraint, an index or a trigger
COMMENT ON TABLE posts IS 'our posts';
\echo :LAST_ERROR_SQLSTATE
COMMENT ON COLUMN tags.slug IS 'our slug';
\echo :LAST_ERROR_SQLSTATE
COMMENT ON CONSTRAINT posts_pkey ON posts IS 'our key';
\echo :LAST_ERROR_SQLSTATE
COMMENT ON INDEX post_tags_tag_id_idx IS 'our index';
\echo :LAST_ERROR_SQLSTATE
COMMENT ON TRIGGER posts_copy_to_post_tags ON posts IS 'our trigger';
\echo :LAST_ERROR_SQLSTATE

-- storage parameters, replica identity, owner, name, schema, sequence
ALTER TABLE tags SET (autovacuum_enabled = off);
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE post_tags REPLICA IDENTITY FULL;
\echo :LAST_ERROR_SQLSTATE
CREATE ROLE tags_guard_owner;
ALTER TABLE posts OWNER TO tags_guard_owner;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE posts RENAME TO articles;
\echo :LAST_ERROR_SQLSTATE
CREATE SCHEMA guard_elsewhere;
ALTER TABLE posts SET SCHEMA guard_elsewhere;
\echo :LAST_ERROR_SQLSTATE
ALTER SEQUENCE tags_id_seq INCREMENT BY 10;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE posts ALTER COLUMN id SET INCREMENT BY 10;
\echo :LAST_ERROR_SQLSTATE

-- from a function too (a DO block, a migration tool's EXECUTE)
DO $$BEGIN EXECUTE 'ALTER TABLE posts ADD COLUMN author_id integer'; END$$;
\echo :LAST_ERROR_SQLSTATE

-- one subcommand refused refuses the statement
ALTER TABLE posts ENABLE TRIGGER USER, ADD COLUMN author_id integer;
\echo :LAST_ERROR_SQLSTATE

-- none of it left anything
SELECT * FROM shape EXCEPT SELECT * FROM shape_before;
SELECT * FROM shape_before EXCEPT SELECT * FROM shape;
SELECT title FROM posts_by_tag('one');

-- privileges are dumped: GRANT and REVOKE are allowed, on tables and
-- columns (the grants to others than the owner: the owner's own privileges
-- differ between versions, PostgreSQL 17 added MAINTAIN)
CREATE ROLE tags_guard_reader;
GRANT SELECT ON posts, tags, post_tags TO tags_guard_reader;
GRANT UPDATE (title) ON posts TO tags_guard_reader;
REVOKE SELECT ON tag_synonyms FROM PUBLIC;
SELECT relname,
       (SELECT string_agg(coalesce(r.rolname, 'PUBLIC') || ' ' || a.privilege_type, ', '
                          ORDER BY r.rolname, a.privilege_type)
        FROM aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
        WHERE a.grantee <> c.relowner) AS granted
FROM pg_class c
WHERE oid IN ('posts'::regclass, 'tags'::regclass, 'post_tags'::regclass, 'tag_synonyms'::regclass)
ORDER BY relname;
SELECT attacl FROM pg_attribute WHERE attrelid = 'posts'::regclass AND attname = 'title';
GRANT SELECT ON tag_synonyms TO PUBLIC;
REVOKE ALL ON posts, tags, post_tags FROM tags_guard_reader;
DROP ROLE tags_guard_reader;

-- triggers switched off and on, as a data-only restore with
-- --disable-triggers does (the restore leaves them on, as installed)
ALTER TABLE post_tags DISABLE TRIGGER ALL;
ALTER TABLE post_tags ENABLE TRIGGER ALL;
ALTER TABLE posts DISABLE TRIGGER USER;
ALTER TABLE posts ENABLE TRIGGER USER;
ALTER TABLE posts DISABLE TRIGGER posts_copy_to_post_tags;
ALTER TABLE posts ENABLE TRIGGER posts_copy_to_post_tags;
-- back to the install state: no row-level security, no storage parameters
ALTER TABLE posts DISABLE ROW LEVEL SECURITY;
ALTER TABLE posts NO FORCE ROW LEVEL SECURITY;
ALTER TABLE tags RESET (autovacuum_enabled);
SELECT * FROM shape EXCEPT SELECT * FROM shape_before;

-- a superuser may switch the guard off, for a test that needs a trigger or
-- a policy on posts and takes it away again; with the guard on, what it
-- made is dropped freely (the extension's own triggers are not)
ALTER EVENT TRIGGER tags_guard_builtin_tables DISABLE;
CREATE TRIGGER posts_noop BEFORE INSERT ON posts
FOR EACH ROW EXECUTE FUNCTION guard_noop();
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY posts_published ON posts USING (status = 'published');
ALTER EVENT TRIGGER tags_guard_builtin_tables ENABLE;
DROP TRIGGER posts_noop ON posts;
DROP POLICY posts_published ON posts;
ALTER TABLE posts DISABLE ROW LEVEL SECURITY;
SELECT * FROM shape EXCEPT SELECT * FROM shape_before;

-- the application's own objects that refer to the extension's tables
CREATE TABLE guard_comments (
    id integer PRIMARY KEY,
    post_id integer NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    body text NOT NULL
);
CREATE INDEX guard_comments_post_id_idx ON guard_comments (post_id);
CREATE TRIGGER guard_comments_noop BEFORE INSERT ON guard_comments
FOR EACH ROW EXECUTE FUNCTION guard_noop();
COMMENT ON TABLE guard_comments IS 'comments on posts';
CREATE TABLE guard_authors (id integer PRIMARY KEY, post_id integer);
ALTER TABLE guard_authors ADD CONSTRAINT guard_authors_post_id_fkey
    FOREIGN KEY (post_id) REFERENCES posts (id);
ALTER TABLE guard_authors ENABLE ROW LEVEL SECURITY;
CREATE POLICY guard_authors_all ON guard_authors USING (true);
CREATE VIEW guard_published AS
SELECT p.id, p.title, t.name
FROM posts AS p JOIN post_tags AS pt ON pt.post_id = p.id
JOIN tags AS t ON t.id = pt.tag_id
WHERE p.status = 'published';
COMMENT ON VIEW guard_published IS 'published posts and their tags';
INSERT INTO guard_comments VALUES (1, :post, 'first');
SELECT title, name FROM guard_published ORDER BY name;
-- an index and a trigger of the application's own are dropped freely
DROP INDEX guard_comments_post_id_idx;
DROP TRIGGER guard_comments_noop ON guard_comments;
DROP VIEW guard_published;
DROP TABLE guard_comments, guard_authors;
DROP FUNCTION guard_noop();
DROP SCHEMA guard_elsewhere;
DROP ROLE tags_guard_owner;

\set VERBOSITY default

-- the tables are as they were
SELECT * FROM shape EXCEPT SELECT * FROM shape_before;
SELECT * FROM shape_before EXCEPT SELECT * FROM shape;
