-- every client tags random posts with the same five most popular tags
\set pid random(1, :nposts)
SELECT count(*) FROM @S@.post_set_tags(:pid, ARRAY[@HOT@]);
