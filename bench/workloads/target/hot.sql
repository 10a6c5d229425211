-- every client tags random items with the same five most popular tags
\set pid random(1, :nposts)
SELECT count(*) FROM ext.item_set_tags('app.articles', :pid, ARRAY[@HOT@]);
