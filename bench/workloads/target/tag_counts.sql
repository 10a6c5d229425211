SELECT * FROM ext.tag_item_counts('app.articles');
