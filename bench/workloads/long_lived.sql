-- One connection that lives long (bench/long_lived.sh runs it with pgbench,
-- one client, one transaction a step; n counts the steps, from -D n).
--
-- Steps 1 .. :steps grow the tables.  Step n is one call with :k existing
-- names and one new name (words.names i = n + :k; step 1 creates the first
-- :k + 1), on post n, in a cycle of four:
--   n % 4 = 0, 1  post_set_tags(n, names)
--   n % 4 = 2     post_add_tags(n - 1, names)   (the post set one step before)
--   n % 4 = 3     tags_get_or_create(names)
-- The existing names are :k consecutive numbers at a place drawn from the
-- step's number: random names, since the numbering is in random order.
-- Every 1000th step also asks whether the time cap (:deadline, seconds since
-- 1970) has passed; from then on the growth steps do nothing.
--
-- Steps after :steps are lookups: tags_get_or_create of 5 existing names,
-- drawn from the lookup's number among the first :T names (the tags made).
-- A fresh connection runs the same lookups with -D n=:steps.
\set n :n + 1
\if :n <= :steps
\if :stop
\else
\set new :n + :k
\set r 1 + abs(hash(:n, 4242)) % (:new - :k)
\set kind :n % 4
\if :kind = 3
SELECT count(*) FROM ext.tags_get_or_create((SELECT array_agg(word ORDER BY i) FROM words.names WHERE i BETWEEN :r AND :r + :k - 1 OR i = :new));
\elif :kind = 2
SELECT count(*) FROM ext.post_add_tags(:n - 1, (SELECT array_agg(word ORDER BY i) FROM words.names WHERE i BETWEEN :r AND :r + :k - 1 OR i = :new));
\else
SELECT count(*) FROM ext.post_set_tags(:n, (SELECT array_agg(word ORDER BY i) FROM words.names WHERE i BETWEEN :r AND :r + :k - 1 OR i = :new));
\endif
\set T :new
\if :n % 1000 = 0
SELECT (now() > to_timestamp(:deadline))::int AS stop \gset
\endif
\endif
\else
\set j :n - :steps
\set a 1 + abs(hash(:j * 5, 77)) % :T
\set b 1 + abs(hash(:j * 5 + 1, 77)) % :T
\set c 1 + abs(hash(:j * 5 + 2, 77)) % :T
\set d 1 + abs(hash(:j * 5 + 3, 77)) % :T
\set e 1 + abs(hash(:j * 5 + 4, 77)) % :T
SELECT count(*) FROM ext.tags_get_or_create((SELECT array_agg(word ORDER BY i) FROM words.names WHERE i IN (:a, :b, :c, :d, :e)));
\endif
