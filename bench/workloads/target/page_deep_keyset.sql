-- the same page, after the item before it (keyset): the row as the
-- application got it on the page before, a literal
SELECT * FROM ext.items_by_tag_after(NULL::app.articles, '@POPULAR@', @DEEP_ROW@::app.articles);
