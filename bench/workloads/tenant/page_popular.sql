-- the first page of the most used tag (tag 1, in every tenant's
-- vocabulary) of a random tenant (app: its one vocabulary, tenant NULL)
\set t random(1, @NTENANTS@)
SELECT * FROM ext.items_by_tag(NULL::@S@.articles, '@POPULAR@', tenant => @TENANT@);
