-- the items that share the most tags with one of the popular tag's (the
-- row as the application has it, a literal)
SELECT * FROM ext.items_related(@DEEP_ROW@::app.articles);
