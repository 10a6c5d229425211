-- five names, mostly existing (the last is new about one time in eleven
-- until created), in several spellings
\set a random_zipfian(1, :ntags, 1.03)
\set b random(1, :ntags)
\set c random(1, :ntags)
\set d random_zipfian(1, :ntags, 1.03)
\set e random(1, :ntags * 11 / 10)
SELECT count(*) FROM @S@.tags_get_or_create(ARRAY['Tag ' || :a, 'tag ' || :b, ' tag ' || :c || ' ', 'TAG ' || :d, 'tag ' || :e]);
