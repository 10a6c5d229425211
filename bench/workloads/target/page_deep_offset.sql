-- the popular tag's page at depth @DEEP@ items, by page number
SELECT * FROM ext.items_by_tag(NULL::app.articles, '@POPULAR@', @DEEP@ / 10 + 1);
