-- the posts that share the most tags with one of the popular tag's (no
-- reference: timed on ext and its target twin)
SELECT * FROM ext.posts_related(@DEEP_ID@);
