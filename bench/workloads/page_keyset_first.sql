-- the popular tag's first page in keyset form
SELECT * FROM ext.posts_by_tag_after('@POPULAR@', NULL, NULL);
