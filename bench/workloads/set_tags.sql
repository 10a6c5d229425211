-- a random post gets four names, one popular-skewed, one sometimes new
\set pid random(1, :nposts)
\set a random_zipfian(1, :ntags, 1.03)
\set b random(1, :ntags)
\set c random(1, :ntags)
\set d random(1, :ntags * 11 / 10)
SELECT count(*) FROM @S@.post_set_tags(:pid, ARRAY['Tag ' || :a, 'tag ' || :b, 'tag ' || :c, 'tag ' || :d]);
