-- a tag cloud: the ten most used tags
SELECT * FROM ext.tag_item_counts('app.articles', 10);
