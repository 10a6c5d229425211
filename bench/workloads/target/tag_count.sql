-- the popular tag's count
SELECT ext.tag_item_count('app.articles', '@POPULAR@');
