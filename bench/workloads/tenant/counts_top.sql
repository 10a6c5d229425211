-- a tenant's tag cloud: the ten most used tags of a random tenant (@S@ is
-- a tenant target, or app, whose one vocabulary is then asked with tenant
-- NULL, the same call)
\set t random(1, @NTENANTS@)
SELECT * FROM ext.tag_item_counts('@S@.articles', 10, tenant => @TENANT@);
