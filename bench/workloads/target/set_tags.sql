-- a random item gets four names, one popular-skewed, one sometimes new
\set pid random(1, :nposts)
\set a random_zipfian(1, :ntags, 1.03)
\set b random(1, :ntags)
\set c random(1, :ntags)
\set d random(1, :ntags * 11 / 10)
SELECT count(*) FROM ext.item_set_tags('app.articles', :pid, ARRAY['Tag ' || :a, 'tag ' || :b, 'tag ' || :c, 'tag ' || :d]);
