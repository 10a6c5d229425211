SELECT * FROM ext.items_by_tag(NULL::app.articles, '@POPULAR@');
