SELECT * FROM ext.items_tagged(NULL::app.articles, ARRAY['tag 50', 'tag 51']);
