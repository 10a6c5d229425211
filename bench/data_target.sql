-- The registered target: an application's own table, app.articles, made
-- taggable with tags_enable(), holding the same rows as ext.posts (same ids,
-- the same visibility, published_at = created_at) with a bigint key and
-- columns of its own, and the same associations as ext.post_tags.  Called by
-- data.sql once ext.posts and ext.post_tags are loaded, before its VACUUM.
-- The associations go in as the posts' do: one INSERT ... SELECT in
-- (item, position) order, through the association table's triggers and
-- foreign keys, then tags_fold_counts().  bench_load_times keeps how long
-- each load took (data.sql times the posts' load the same way).

DROP SCHEMA IF EXISTS app CASCADE;
CREATE SCHEMA app;

CREATE TABLE app.articles (
    id              bigint PRIMARY KEY,
    title           text NOT NULL,
    body            text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft', 'published', 'archived')),
    author          text,
    lang            text NOT NULL DEFAULT 'en',
    word_count      integer NOT NULL DEFAULT 0,
    published_at    timestamptz NOT NULL,
    updated_at      timestamptz,
    deleted_at      timestamptz
);
-- an index of the application's own, as a real table would have
CREATE INDEX ON app.articles (author);

INSERT INTO app.articles (id, title, body, status, author, lang, word_count,
                          published_at, updated_at, deleted_at)
SELECT id, 'article ' || id, body, status, 'author ' || (id % 997),
       (ARRAY['en', 'fr', 'de', 'ru'])[1 + id % 4], (id::bigint * 7919 % 3000)::integer,
       created_at, created_at + interval '1 day', deleted_at
FROM ext.posts ORDER BY id;

SELECT ext.tags_enable('app.articles',
                       'status = ''published'' AND deleted_at IS NULL',
                       'published_at') \g /dev/null

SELECT clock_timestamp() AS assoc_start \gset
INSERT INTO app.articles_tags (item_id, tag_id, position)
SELECT post_id, tag_id, position FROM ext.post_tags ORDER BY post_id, position;
SELECT ext.tags_fold_counts() \g /dev/null
INSERT INTO bench_load_times
SELECT 'app.articles_tags', extract(epoch FROM clock_timestamp() - :'assoc_start'::timestamptz);
