-- One connection that lives long, on a tenant target (bench/long_lived.sh
-- tenant runs it with pgbench, one client, one transaction a step; n
-- counts the steps, from -D n): long_lived.sql's calls, each on the tenant
-- of its item, in that tenant's vocabulary.
--
-- Item n belongs to tenant t = 1 + (n - 1) % :tenants, and is the tenant's
-- m-th, m = 1 + (n - 1) / :tenants.  Tenant t's j-th name is words.names
-- i = (j - 1) * :tenants + t, so that each tenant has names of its own.
-- Steps 1 .. :steps grow the tables: step n is the tenant's step m, one
-- call with :k existing names of the tenant and one new (its name m + :k;
-- the tenant's first step creates its first :k + 1), on item n, in the
-- cycle of long_lived.sql:
--   n % 4 = 0, 1  item_set_tags(n, names)
--   n % 4 = 2     item_add_tags(n - :tenants, names)   (the tenant's item
--                                    of its step before; on its first
--                                    step, item n)
--   n % 4 = 3     tags_get_or_create(names, target, tenant)
-- Every 1000th step also asks whether the time cap (:deadline) has passed.
--
-- Steps after :steps are reads, in turn: tags_get_or_create of 5 existing
-- names of a tenant (among its first :T, which every tenant has), the tenant's
-- tag_item_counts(10), and the first page of one of its tags (found by
-- name, as the application would have its slug); the tenant drawn from the
-- read's number.  A fresh connection runs the same reads with -D n=:steps.
\set n :n + 1
\if :n <= :steps
\if :stop
\else
\set t 1 + (:n - 1) % :tenants
\set m 1 + (:n - 1) / :tenants
\set new :m + :k
\set r 1 + abs(hash(:n, 4242)) % (:new - :k)
\set kind :n % 4
\if :kind = 3
SELECT count(*) FROM ext.tags_get_or_create((SELECT array_agg(word ORDER BY i) FROM words.names WHERE i = ANY (ARRAY(SELECT (j - 1) * :tenants + :t FROM generate_series(:r, :r + :k - 1) j) || ((:new - 1) * :tenants + :t))), 'app.articles', :t);
\elif :kind = 2
\set item CASE WHEN :n > :tenants THEN :n - :tenants ELSE :n END
SELECT count(*) FROM ext.item_add_tags('app.articles', :item, (SELECT array_agg(word ORDER BY i) FROM words.names WHERE i = ANY (ARRAY(SELECT (j - 1) * :tenants + :t FROM generate_series(:r, :r + :k - 1) j) || ((:new - 1) * :tenants + :t))), tenant => :t);
\else
SELECT count(*) FROM ext.item_set_tags('app.articles', :n, (SELECT array_agg(word ORDER BY i) FROM words.names WHERE i = ANY (ARRAY(SELECT (j - 1) * :tenants + :t FROM generate_series(:r, :r + :k - 1) j) || ((:new - 1) * :tenants + :t))), tenant => :t);
\endif
\set T :n / :tenants + :k
\if :n % 1000 = 0
SELECT (now() > to_timestamp(:deadline))::int AS stop \gset
\endif
\endif
\else
\set j :n - :steps
\set t 1 + abs(hash(:j, 91)) % :tenants
\set kind :j % 3
\if :kind = 0
\set a 1 + abs(hash(:j * 5, 77)) % :T
\set b 1 + abs(hash(:j * 5 + 1, 77)) % :T
\set c 1 + abs(hash(:j * 5 + 2, 77)) % :T
\set d 1 + abs(hash(:j * 5 + 3, 77)) % :T
\set e 1 + abs(hash(:j * 5 + 4, 77)) % :T
SELECT count(*) FROM ext.tags_get_or_create((SELECT array_agg(word ORDER BY i) FROM words.names WHERE i IN ((:a - 1) * :tenants + :t, (:b - 1) * :tenants + :t, (:c - 1) * :tenants + :t, (:d - 1) * :tenants + :t, (:e - 1) * :tenants + :t)), 'app.articles', :t);
\elif :kind = 1
SELECT count(*) FROM ext.tag_item_counts('app.articles', 10, tenant => :t);
\else
\set a 1 + abs(hash(:j, 78)) % :T
SELECT count(*) FROM ext.items_by_tag(NULL::app.articles, (SELECT tt.slug FROM app.tenant_tags tt JOIN words.names w ON w.name = tt.name WHERE tt.tenant = :t AND w.i = (:a - 1) * :tenants + :t), tenant => :t);
\endif
\endif
