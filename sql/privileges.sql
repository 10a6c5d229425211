-- The functions run with the caller's rights (SECURITY INVOKER): a role
-- without the table privileges gets 42501 and nothing is written; the
-- grants the README lists are enough; a row-level security policy on
-- posts is honoured

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;
-- (the errors' context is the statement text: keep it out)
\set SHOW_CONTEXT never

INSERT INTO posts (title, status) VALUES ('Public', 'published'), ('Secret', 'published');
SELECT count(*) FROM post_set_tags(1, ARRAY['shared']);
SELECT count(*) FROM post_set_tags(2, ARRAY['shared', 'hidden']);

-- no function is SECURITY DEFINER
SELECT count(*) AS security_definer FROM pg_proc
WHERE pronamespace = 'public'::regnamespace AND prosecdef
  AND oid IN (SELECT objid FROM pg_depend WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'tags'));

CREATE ROLE tags_nobody;
CREATE ROLE tags_app;
-- the grants the README documents for an application role
GRANT SELECT, INSERT, UPDATE, DELETE ON posts, tags, post_tags TO tags_app;

-- without privileges on the tables: 42501, for writers and readers alike
SET ROLE tags_nobody;
SELECT * FROM tags_get_or_create(ARRAY['new']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM post_set_tags(1, ARRAY['new']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM post_add_tags(1, ARRAY['new']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM post_remove_tags(1, ARRAY['shared']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM post_get_tags(1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM tag_counts();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM posts_by_tag('shared');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO tags (name) VALUES ('direct');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- and nothing was written
SELECT name FROM tags ORDER BY name;
SELECT count(*) AS associations FROM post_tags;

-- a role that may read but not write: readers work, and so does
-- get-or-create of existing names, which only reads them; writers, and
-- get-or-create of a new name, get 42501
GRANT SELECT ON posts, tags, post_tags TO tags_nobody;
SET ROLE tags_nobody;
SELECT name FROM post_get_tags(1);
SELECT name, post_count FROM tag_counts();
SELECT * FROM post_set_tags(1, ARRAY['new']);
\echo :LAST_ERROR_SQLSTATE
SELECT name, slug FROM tags_get_or_create(ARRAY['shared']);
SELECT * FROM tags_get_or_create(ARRAY['shared', 'new']);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) AS still_no_new_tag FROM tags WHERE name = 'new';

-- with the documented grants, everything works
SET ROLE tags_app;
SELECT name FROM tags_get_or_create(ARRAY['app']);
SELECT name FROM post_set_tags(1, ARRAY['shared', 'app']);
SELECT name FROM post_add_tags(1, ARRAY['more']);
SELECT name FROM post_remove_tags(1, ARRAY['more']);
INSERT INTO tags (name) VALUES ('Direct') RETURNING name, slug;
RESET ROLE;

-- row-level security: tags_app cannot see the secret post, so it cannot
-- tag it, nor count it, nor list it
-- (1.2 refuses a policy on posts, which pg_dump would lose: the test
-- bypasses the guard, as a superuser can, to check row-level security still)
ALTER EVENT TRIGGER tags_guard_builtin_tables DISABLE;
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY posts_not_secret ON posts USING (title <> 'Secret');
ALTER EVENT TRIGGER tags_guard_builtin_tables ENABLE;
SET ROLE tags_app;
SELECT * FROM post_set_tags(2, ARRAY['leak']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM post_get_tags(2);
\echo :LAST_ERROR_SQLSTATE
SELECT name, post_count FROM tag_counts();
SELECT title FROM posts_by_tag('shared');
SELECT tag_post_count('hidden') AS hidden;
RESET ROLE;
-- the superuser (who bypasses the policy) sees both
SELECT name, post_count FROM tag_counts();
SELECT count(*) AS leak_not_created FROM tags WHERE name = 'leak';

DROP POLICY posts_not_secret ON posts;
ALTER TABLE posts DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON posts, tags, post_tags FROM tags_app, tags_nobody;
DROP ROLE tags_app;
DROP ROLE tags_nobody;
