-- make demo: every function of the tags extension at work on a small blog.
-- Run by scripts/demo.sh in a throwaway cluster; also fine in any empty
-- database where you may create the extension.

\pset footer off
\echo
\echo '== CREATE EXTENSION tags'
CREATE EXTENSION tags;

INSERT INTO posts (title, status, created_at) VALUES
    ('Getting started with PostgreSQL', 'published', now() - interval '3 days'),
    ('Rust for C programmers',          'published', now() - interval '2 days'),
    ('Machine learning in SQL',         'published', now() - interval '1 day'),
    ('Unfinished thoughts',             'draft',     now());

\echo
\echo '== tag_normalize and tag_slugify: one key per tag, one URL-safe slug'
SELECT n AS given, tag_normalize(n) AS name, tag_slugify(n) AS slug
FROM unnest(ARRAY['  Machine' || U&'\00A0' || 'Learning ', 'ＰＹＴＨＯＮ', 'Café Crème',
                  'Москва', '日本語', 'C++', 'C#', '🐍']) AS n;

\echo
\echo '== tags_get_or_create: existing tags as they are, missing ones created'
SELECT * FROM tags_get_or_create(ARRAY['PostgreSQL', 'SQL', 'postgresql ', 'Rust']);

\echo
\echo '== post_set_tags: the post''s tags become exactly these, in this order'
SELECT name, slug FROM post_set_tags(1, ARRAY['PostgreSQL', 'SQL', 'Tutorial']);
SELECT name, slug FROM post_set_tags(2, ARRAY['Rust', 'C', 'C++']);
SELECT name, slug FROM post_set_tags(3, ARRAY['Machine Learning', 'SQL', 'PostgreSQL']);
SELECT name, slug FROM post_set_tags(4, ARRAY['SQL', 'Draft ideas']);

\echo
\echo '== post_set_tags with NULL names: not provided, nothing changes'
SELECT name FROM post_set_tags(1, NULL);

\echo
\echo '== post_add_tags: added at the end, the tags the post has stay put'
SELECT name FROM post_add_tags(2, ARRAY['Systems', 'rust']);

\echo
\echo '== post_remove_tags: only the association goes, the tag stays'
SELECT name FROM post_remove_tags(2, ARRAY['C']);
SELECT name, slug FROM tags WHERE name = 'c';

\echo
\echo '== post_get_tags: a post''s tags in order'
SELECT name FROM post_get_tags(3);

\echo
\echo '== tag_counts: published, non-deleted posts per tag (the draft does not count)'
SELECT * FROM tag_counts();

\echo
\echo '== posts_by_tag: a tag''s posts, newest first, one page; tag_post_count: the total'
SELECT id, title, status FROM posts_by_tag('sql', page => 1, page_size => 1);
SELECT id, title, status FROM posts_by_tag('sql', page => 2, page_size => 1);
SELECT tag_post_count('sql') AS sql_posts;

\echo
\echo '== 1.1 queries: posts with all / any / exactly these tags, related tags and posts, autocomplete'
SELECT id, title FROM posts_tagged(ARRAY['SQL', 'PostgreSQL']);
SELECT id, title FROM posts_tagged(ARRAY['Rust', 'Machine Learning'], 'any');
SELECT id, title FROM posts_tagged(ARRAY['sql'], exclude => ARRAY['tutorial']);
SELECT name, shared_posts FROM tags_related('sql');
SELECT id, title, shared_tags FROM posts_related(1);
SELECT name FROM tags_search('Ｍａ');

\echo
\echo '== 1.1 tag care: a synonym, a rename whose old slug keeps working, a merge, a prune'
SELECT name, slug FROM tag_add_synonym('Postgres', 'postgresql');
SELECT name FROM post_add_tags(2, ARRAY['postgres']);
SELECT name, slug FROM tag_rename('machine-learning', 'ML');
SELECT id, title FROM posts_by_tag('machine-learning');
SELECT tag_merge('tutorial', 'sql') AS associations_moved;
SELECT name FROM tags_get_or_create(ARRAY['Tutorial']);
SELECT tags_prune() AS unused_tags_deleted;
SELECT * FROM tag_counts();

\echo
\echo '== 1.2: tagging a table of your own'
CREATE TABLE articles (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title        text NOT NULL,
    status       text NOT NULL DEFAULT 'draft',
    published_at timestamptz NOT NULL DEFAULT now()
);
SELECT tags_enable('articles', 'status = ''published''', 'published_at');
INSERT INTO articles (title, status, published_at) VALUES
    ('Indexes explained', 'published', '2026-01-10'),
    ('Draft notes', 'draft', '2026-01-11'),
    ('Rust for DBAs', 'published', '2026-01-12');
SELECT name FROM item_set_tags('articles', 1, ARRAY['PostgreSQL', 'Indexes']);
SELECT name FROM item_set_tags('articles', 2, ARRAY['PostgreSQL']);
SELECT name FROM item_add_tags('articles', 3, ARRAY['Rust', 'postgresql']);
SELECT id, title FROM items_by_tag(NULL::articles, 'postgresql');
SELECT name, item_count FROM tag_item_counts('articles', 3);
SELECT tag_item_count('articles', 'postgresql') AS published_articles;
SELECT id, title FROM items_tagged(NULL::articles, ARRAY['postgresql', 'rust']);
SELECT (r.item).title, r.shared_tags FROM articles a, items_related(a) r WHERE a.id = 1;
SELECT name FROM item_remove_tags('articles', 3, ARRAY['Rust']);
SELECT tags_disable('articles');

\echo
\echo '== errors carry a SQLSTATE'
\set ON_ERROR_STOP 0
SELECT * FROM post_set_tags(42, ARRAY['x']);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM posts_by_tag('sql', page => 0);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM tags_get_or_create(ARRAY[repeat('x', 101)]);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM item_set_tags('articles', 1, ARRAY['x']);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER TABLE posts ADD COLUMN author text;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
