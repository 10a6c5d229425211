-- Builds the data set: :scale posts, :ntags tags, about 4 tags a post, in
-- the extension (schema ext), row for row in the reference (schema ref) and
-- in the reference with a counter cache (schema refc,
-- reference_counter.sql), and in a registered target, app.articles
-- (data_target.sql); given tenants_many, also in two tenant targets
-- (data_tenants.sql).
-- psql -v scale=N -v ntags=M [-v tenants_few=N -v tenants_many=N
--      -v tenant_vocab=N] -f bench/data.sql
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET work_mem = '512MB';
SET maintenance_work_mem = '1GB';

DROP EXTENSION IF EXISTS tags CASCADE;
DROP SCHEMA IF EXISTS ext CASCADE;
DROP SCHEMA IF EXISTS ref CASCADE;
DROP SCHEMA IF EXISTS refc CASCADE;
CREATE SCHEMA ext;
CREATE EXTENSION tags SCHEMA ext;
-- the workloads call ext and ref alike
CREATE FUNCTION ext.tag_counts_top10()
RETURNS TABLE (id integer, name text, slug text, post_count bigint)
LANGUAGE sql STABLE AS $$ SELECT * FROM ext.tag_counts(10) $$;
\ir reference.sql
-- how long the associations took to load, for the built-in and the target
DROP TABLE IF EXISTS bench_load_times;
CREATE TABLE bench_load_times (what text, secs float8);

SELECT setseed(0.4242);

-- 85 % published, 10 % drafts, 5 % archived; 3 % soft-deleted.  created_at
-- rises with the id, with up to an hour of jitter, so it is not the id order.
INSERT INTO ext.posts (id, title, body, status, created_at, deleted_at)
SELECT i, 'post ' || i, '',
       CASE WHEN r < 0.85 THEN 'published' WHEN r < 0.95 THEN 'draft'
            ELSE 'archived' END,
       timestamptz '2015-01-01 00:00+00' + i * interval '5 minutes'
           + floor(random() * 3600) * interval '1 second',
       CASE WHEN random() < 0.03 THEN timestamptz '2025-06-01 00:00+00' END
FROM (SELECT i, random() AS r FROM generate_series(1, :scale) AS i) s;

-- names already normalized, explicit valid slugs (no slug search)
INSERT INTO ext.tags (id, name, slug, created_at)
SELECT j, 'tag ' || j, 'tag-' || j, timestamptz '2015-01-01 00:00+00'
FROM generate_series(1, :ntags) AS j;

-- four draws a post, duplicates within a post dropped.  Half the draws are
-- uniform, half power-law (exponent 1.03, inverse CDF) with tag 1 the most
-- used: at 1M posts / 10 000 tags the top tag is on about 17 % of the posts
-- and the median tag on a couple of hundred.  (The time taken includes the
-- draws.)
SELECT clock_timestamp() AS assoc_start \gset
INSERT INTO ext.post_tags (post_id, tag_id, position)
SELECT p, t, row_number() OVER (PARTITION BY p ORDER BY min(k))
FROM (SELECT p, k,
             least(:ntags, CASE WHEN random() < 0.5
                  THEN 1 + floor(random() * :ntags)
                  ELSE floor((1 - random() * (1 - (:ntags + 1)::float8 ^ (-0.03)))
                             ^ (-1 / 0.03::float8))
             END)::int AS t
      FROM generate_series(1, :scale) AS p, generate_series(1, 4) AS k) d
GROUP BY p, t
ORDER BY p, 3;

-- a bulk load folds its count deltas at the end, as doc/performance.md advises
SELECT ext.tags_fold_counts();
INSERT INTO bench_load_times
SELECT 'ext.post_tags', extract(epoch FROM clock_timestamp() - :'assoc_start'::timestamptz);

SELECT setval(pg_get_serial_sequence('ext.posts', 'id'), :scale);
SELECT setval(pg_get_serial_sequence('ext.tags', 'id'), :ntags);

-- the same rows in the reference (foreign keys added after the copy)
ALTER TABLE ref.post_tags DROP CONSTRAINT post_tags_post_id_fkey,
                          DROP CONSTRAINT post_tags_tag_id_fkey;
INSERT INTO ref.posts SELECT id, title, body, status, created_at, deleted_at FROM ext.posts ORDER BY id;
INSERT INTO ref.tags SELECT id, name, slug, created_at FROM ext.tags ORDER BY id;
INSERT INTO ref.post_tags SELECT post_id, tag_id, position FROM ext.post_tags ORDER BY post_id, tag_id;
ALTER TABLE ref.post_tags
    ADD CONSTRAINT post_tags_post_id_fkey FOREIGN KEY (post_id) REFERENCES ref.posts (id) ON DELETE CASCADE,
    ADD CONSTRAINT post_tags_tag_id_fkey FOREIGN KEY (tag_id) REFERENCES ref.tags (id) ON DELETE CASCADE;
SELECT setval(pg_get_serial_sequence('ref.posts', 'id'), :scale);
SELECT setval(pg_get_serial_sequence('ref.tags', 'id'), :ntags);

-- the same rows in the reference with a counter cache
\ir reference_counter.sql

-- the same rows and associations in a table of the application's own
\ir data_target.sql

-- the same items, spread over tenants
\if :{?tenants_many}
\ir data_tenants.sql
\endif

VACUUM (ANALYZE);
CHECKPOINT;
