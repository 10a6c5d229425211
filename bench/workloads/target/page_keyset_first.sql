-- the popular tag's first page in keyset form
SELECT * FROM ext.items_by_tag_after(NULL::app.articles, '@POPULAR@', NULL);
