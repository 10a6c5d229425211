-- a random item (of its tenant) gets four names of the @VOCAB@ that every
-- tenant's vocabulary has, one popular-skewed (app: the same names, tenant
-- NULL)
\set pid random(1, :nposts)
\set t 1 + (:pid - 1) % @NTENANTS@
\set a random_zipfian(1, @VOCAB@, 1.03)
\set b random(1, @VOCAB@)
\set c random(1, @VOCAB@)
\set d random(1, @VOCAB@)
SELECT count(*) FROM ext.item_set_tags('@S@.articles', :pid, ARRAY['Tag ' || :a, 'tag ' || :b, 'tag ' || :c, 'tag ' || :d], tenant => @TENANT@);
